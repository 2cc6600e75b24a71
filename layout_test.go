package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPackageImports holds the packages to what their package comments say
// they may import, so that the layout keeps showing the design.
func TestPackageImports(t *testing.T) {
	const module = "github.com/cbr-sync/terraform-provider-cbr/"
	cases := []struct {
		pkg   string
		never []string
	}{
		// The HTTP client knows nothing of Terraform's plugin libraries
		// (tflog excepted) nor of the rest of the module.
		{"internal/cbr", []string{"github.com/hashicorp/terraform-plugin-framework", "github.com/hashicorp/terraform-plugin-go", module + "internal/"}},
		// The fake implements the API on its own.
		{"internal/cbrfake", []string{module + "internal/cbr", module + "internal/provider", module + "internal/credentials", module + "internal/oplogs", "github.com/hashicorp/terraform-plugin"}},
		{"internal/credentials", []string{module + "internal/provider", module + "internal/oplogs"}},
		{"internal/oplogs", []string{module + "internal/provider", module + "internal/credentials"}},
	}
	for _, tc := range cases {
		out, err := exec.Command("go", "list", "-deps", "./"+tc.pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps ./%s: %v", tc.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == module+tc.pkg {
				continue
			}
			for _, never := range tc.never {
				if strings.HasPrefix(dep, never) && !strings.HasPrefix(dep, module+tc.pkg+"/") {
					t.Errorf("%s imports %s (directly or not), which it must never import", tc.pkg, dep)
				}
			}
		}
	}
}
