package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEFlagsExist: every flag the README gives the standalone fake is
// one it has, so the README cannot promise faults the command does not offer.
func TestREADMEFlagsExist(t *testing.T) {
	var usage bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, &usage, nil); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	have := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`).FindAllStringSubmatch(usage.String(), -1) {
		have[m[1]] = true
	}
	if len(have) < 10 {
		t.Fatalf("only %d flags in the usage: %s", len(have), usage.String())
	}
	data, err := os.ReadFile("../../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "## The fake CBR API")
	if start < 0 {
		t.Fatal("the README has no section about the fake")
	}
	section := readme[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	named := regexp.MustCompile("`-([a-z][a-z0-9-]*)[` ]").FindAllStringSubmatch(section, -1)
	if len(named) == 0 {
		t.Fatal("the README names no flag of the fake: is the pattern still right?")
	}
	for _, m := range named {
		if !have[m[1]] {
			t.Errorf("the README names -%s, which cbrfake does not have", m[1])
		}
	}
}
