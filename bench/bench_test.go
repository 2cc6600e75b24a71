package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{3}, 3},
		{[]time.Duration{9, 1, 5}, 5},
		{[]time.Duration{4, 1, 9, 2}, 3},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func stats(perKind map[string]int, errors int, perID map[string]int, tokens int) fakeStats {
	st := fakeStats{SyncedPerBackupID: perID, IssuedTokens: tokens}
	st.Requests = map[string]int{}
	st.Statuses = map[string]map[string]int{}
	for k, n := range perKind {
		st.Requests[k] = n
		st.Statuses[k] = map[string]int{"200": n - errors}
		if errors > 0 {
			st.Statuses[k]["429"] = errors
		}
	}
	for _, n := range perID {
		st.SyncedEntries += n
	}
	return st
}

func TestDiffCalls(t *testing.T) {
	before := stats(map[string]int{"sync": 1}, 0, map[string]int{"old": 1}, 0)
	want := []string{"a", "b"}

	clean := diffCalls(before, stats(map[string]int{"sync": 2}, 0, map[string]int{"old": 1, "a": 1, "b": 1}, 0), want)
	if !expectCalls(clean, 1, 2, 0) {
		t.Errorf("one sync applying a and b once: %+v", clean)
	}
	if expectCalls(clean, 2, 2, 0) || expectCalls(clean, 1, 2, 1) {
		t.Errorf("wrong expectations accepted: %+v", clean)
	}

	// "old" applied again, "b" never, and a throttled retry.
	bad := diffCalls(before, stats(map[string]int{"sync": 3}, 1, map[string]int{"old": 2, "a": 2}, 0), want)
	if bad.Duplicates != 1 || bad.Missing != 1 || bad.Non2xx != 1 || bad.PerKind["sync"] != 2 || bad.Entries != 3 {
		t.Errorf("diff = %+v", bad)
	}
	if expectCalls(bad, 2, 3, 0) {
		t.Errorf("duplicates and missing backups accepted: %+v", bad)
	}
	d := describeCalls(bad)
	for _, s := range []string{"2 sync", "1 applied more than once", "1 not applied", "1 error answers"} {
		if !strings.Contains(d, s) {
			t.Errorf("describeCalls = %q, want it to mention %q", d, s)
		}
	}

	token := diffCalls(before, stats(map[string]int{"sync": 1, "iam_token": 1}, 0, map[string]int{"old": 1}, 1), nil)
	if !expectCalls(token, 0, 0, 1) || expectCalls(token, 0, 0, 0) {
		t.Errorf("one IAM token: %+v", token)
	}
	if none := diffCalls(before, before, nil); !expectCalls(none, 0, 0, 0) || describeCalls(none) != "none" {
		t.Errorf("no calls: %+v", none)
	}
}

func TestHasProviderAttribute(t *testing.T) {
	log := `╷
│ Warning: Provider development overrides are in effect
╵
{"format_version":"1.0","provider_schemas":{"registry.terraform.io/cbr-sync/cbr":{"provider":{"version":0,"block":{"attributes":{"auth_token":{"type":"string"},"user_name":{"type":"string"}}}}}}}
`
	for attr, want := range map[string]bool{"user_name": true, "password_hash": false} {
		got, err := hasProviderAttribute([]byte(log), attr)
		if err != nil || got != want {
			t.Errorf("hasProviderAttribute(%q) = %v, %v; want %v", attr, got, err, want)
		}
	}
	if _, err := hasProviderAttribute([]byte("Error: no configuration\n"), "user_name"); err == nil {
		t.Error("no schema in the output: no error")
	}
}

func TestReplaceSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "B.md")
	if err := replaceSection(path, "first\n"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	doc := "# Title\n\nnotes before\n\n" + strings.TrimSpace(string(data)) + "\n\nnotes after\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := replaceSection(path, "second\n"); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	got := string(data)
	want := "# Title\n\nnotes before\n\n" + beginMarker + "\n\nsecond\n\n" + endMarker + "\n\nnotes after\n"
	if got != want {
		t.Errorf("file:\n%s\nwant:\n%s", got, want)
	}
}

// The floor must carry exactly the provider's objects.
func TestWriteConfigSameObjects(t *testing.T) {
	dir := t.TempDir()
	if err := writeConfig(filepath.Join(dir, "p"), provider, 3, 50, "http://127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	if err := writeConfig(filepath.Join(dir, "f"), floor, 3, 50, "http://127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	objects := func(k string) string {
		data, err := os.ReadFile(filepath.Join(dir, k, "main.tf"))
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		return s[strings.Index(s, "    \""):]
	}
	p := strings.ReplaceAll(strings.ReplaceAll(objects("p"), `resource "cbr_backup_sync"`, "R"), "backups = {", "L")
	f := strings.ReplaceAll(strings.ReplaceAll(objects("f"), `resource "terraform_data"`, "R"), "input = {", "L")
	if p != f {
		t.Error("the provider's and the floor's configurations differ beyond the resource type")
	}
	if n := strings.Count(p, "backup_name"); n != 150 {
		t.Errorf("%d backups, want 150", n)
	}
	ids := map[string]bool{}
	for r := 0; r < 3; r++ {
		for i := 0; i < 50; i++ {
			ids[backupID(3, r, i)] = true
		}
	}
	if len(ids) != 150 {
		t.Errorf("backup IDs are not unique: %d distinct", len(ids))
	}
	// The list form: the same objects in a list, each with its backup_id first.
	if err := writeConfig(filepath.Join(dir, "l"), list, 3, 50, "http://127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "l", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	l := string(data)
	if !strings.Contains(l, "  backups = [\n    {\n      backup_id     = \""+backupID(3, 0, 0)+"\"\n") || strings.Count(l, "backup_id") != 150 || strings.Count(l, "    },\n") != 150 || strings.Count(l, "  ]\n}\n") != 3 {
		t.Errorf("list form:\n%.600s", l)
	}
	asMap := regexp.MustCompile(`(?m)^    \{\n      backup_id     = ("[^"]+")\n`).ReplaceAllString(l[strings.Index(l, "    {"):], "    $1 = {\n")
	asMap = strings.ReplaceAll(strings.ReplaceAll(asMap, "    },\n", "    }\n"), "  ]\n}", "  }\n}")
	asMap = strings.ReplaceAll(strings.ReplaceAll(asMap, `resource "cbr_backup_sync"`, "R"), "backups = [", "L")
	if asMap != p {
		t.Error("the list form's objects differ from the map form's")
	}
	for _, k := range []string{"p", "l"} {
		if _, err := os.Stat(filepath.Join(dir, k, "fake_override.tf")); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}

	override, err := os.ReadFile(filepath.Join(dir, "p", "fake_override.tf"))
	if err != nil || !strings.Contains(string(override), `cbr = "http://127.0.0.1:1"`) {
		t.Errorf("override: %s (%v)", override, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "f", "fake_override.tf")); err == nil {
		t.Error("the floor has a provider override")
	}
}

func TestFirstError(t *testing.T) {
	log := filepath.Join(t.TempDir(), "validate.log")
	text := "\nError: Invalid Attribute Value\n\n  with cbr_backup_sync.r000,\n  on main.tf line 6, in resource \"cbr_backup_sync\" \"r000\":\n   6:   backups = [\n   7:     {\n\nAttribute backups list must contain at least 1 elements and at most 50\nelements, got: 60\n\nError: Second\n\nother\n"
	if err := os.WriteFile(log, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := firstError(log), "Invalid Attribute Value: Attribute backups list must contain at least 1 elements and at most 50 elements, got: 60"; got != want {
		t.Errorf("firstError = %q, want %q", got, want)
	}
	if got := firstError(filepath.Join(t.TempDir(), "missing.log")); !strings.HasPrefix(got, "see ") {
		t.Errorf("firstError of a missing log = %q", got)
	}
}

func TestSyncsPerResource(t *testing.T) {
	for m, want := range map[int]int{1: 1, 50: 1, 51: 2, 2000: 40, 2001: 41} {
		if got := syncsPerResource(m); got != want {
			t.Errorf("syncsPerResource(%d) = %d, want %d", m, got, want)
		}
	}
}

// The -json stream is read line by line, whatever the pipe's chunks.
func TestDiagCounter(t *testing.T) {
	stream := `{"@level":"info","@message":"Terraform 1.11.4","type":"version"}
{"@level":"warn","@message":"Warning: Provider development overrides are in effect","type":"diagnostic","diagnostic":{"severity":"warning","summary":"Provider development overrides are in effect","detail":"..."}}
{"@level":"info","@message":"r000: Plan to create","type":"planned_change","change":{"resource":{"addr":"cbr_backup_sync.r000"},"action":"create"}}
{"@level":"warn","@message":"Warning: Backups to Import","type":"diagnostic","diagnostic":{"severity":"warning","summary":"Backups to Import","range":{"filename":"main.tf","start":{"line":9},"end":{"line":10}},"snippet":{"code":"  backups = ["}}}
{"@level":"warn","@message":"Warning: x","type":"diagnostic","diagnostic":{"severity":"warning","summary":"x","range":null}}
{"@level":"error","@message":"Error: y","type":"diagnostic","diagnostic":{"severity":"error","summary":"y"}}
{"@level":"info","@message":"the text \"diagnostic\" in a message","type":"log"}
{"@level":"info","@message":"Plan: 1 to add","type":"change_summary"}`
	want := diagCount{Overrides: 1, Warnings: 2, Snippets: 1, Errors: 1}
	for _, chunk := range []int{1, 7, 64, len(stream)} {
		c := &diagCounter{}
		for i := 0; i < len(stream); i += chunk {
			n, err := c.Write([]byte(stream[i:min(i+chunk, len(stream))]))
			if err != nil || n != min(chunk, len(stream)-i) {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		c.close()
		if c.n != want || c.err != nil {
			t.Errorf("chunks of %d: %+v, %v; want %+v", chunk, c.n, c.err, want)
		}
	}
	c := &diagCounter{}
	fmt.Fprint(c, "{\"type\":\"diagnostic\", not json\n")
	if c.err == nil {
		t.Error("a broken diagnostic line: no error")
	}
	if got := diagsText([]tfResult{{JSON: true, Diags: want}, {JSON: true, Diags: want}, {JSON: true}}); got != "2 warnings (1 with a source range), **1 errors** / 0 warnings" {
		t.Errorf("diagsText = %q", got)
	}
	if got := diagsText([]tfResult{{}}); got != "not counted" {
		t.Errorf("diagsText of a human-readable command = %q", got)
	}
}

func TestTargets(t *testing.T) {
	for x, want := range map[op]float64{
		{"plan-empty", 200, 50, false}:      targetRunsForReal,
		{"plan-empty-json", 200, 50, false}: targetRunsForReal,
		{"apply-json", 200, 50, false}:      targetRunsForReal,
		{"apply", 200, 50, false}:           targetRatio,
		{"apply", 1, 2000, true}:            targetRatio,
		{"apply-json", 1, 2000, true}:       0,
	} {
		if got, _ := target(x); got != want {
			t.Errorf("target(%v) = %v, want %v", x, got, want)
		}
	}
	if s := (op{"apply-json", 200, 50, false}).String(); s != "apply -json, 200 resources (fresh state)" {
		t.Errorf("op = %q", s)
	}
}

func TestJSONStream(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"plan", "-input=false", "-json", "-detailed-exitcode"}, true},
		{[]string{"apply", "-json", "-auto-approve"}, true},
		{[]string{"plan", "-no-color"}, false},
		{[]string{"providers", "schema", "-json"}, false},
		{nil, false},
	} {
		if got := jsonStream(c.args); got != c.want {
			t.Errorf("jsonStream(%q) = %v", c.args, got)
		}
	}
}

func TestPaired(t *testing.T) {
	a := []tfResult{{Wall: 3 * time.Second}, {Wall: 2 * time.Second}}
	b := []tfResult{{Wall: 2 * time.Second}, {Wall: 4 * time.Second}, {Wall: time.Second}}
	if got := paired(a, b); got != "1.50, 0.50" {
		t.Errorf("paired = %q", got)
	}
}
