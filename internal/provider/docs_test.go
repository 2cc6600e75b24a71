package provider

// Checks that the documentation says nothing a test can prove false: the
// resources and data sources it names, the environment variables, the units
// of durations, the examples' variables, and what terraform plan calls.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// repoFile reads a file of the repository.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

var countWords = map[int]string{1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}

// TestDocsNameEveryResourceAndDataSource: docs/index.md says how many
// resources and data sources the provider has, and links each.
func TestDocsNameEveryResourceAndDataSource(t *testing.T) {
	ctx := context.Background()
	p := &cbrProvider{}
	var resources, dataSources []string
	for _, f := range p.Resources(ctx) {
		var resp resource.MetadataResponse
		f().Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "cbr"}, &resp)
		resources = append(resources, resp.TypeName)
	}
	for _, f := range p.DataSources(ctx) {
		var resp datasource.MetadataResponse
		f().Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "cbr"}, &resp)
		dataSources = append(dataSources, resp.TypeName)
	}
	index := repoFile(t, "docs/index.md")
	plural := func(n int, what string) string {
		if n == 1 {
			return "one " + what
		}
		return countWords[n] + " " + what + "s"
	}
	want := "It has " + plural(len(resources), "resource") + " and " + plural(len(dataSources), "data source")
	if !strings.Contains(strings.Join(strings.Fields(index), " "), want) {
		t.Errorf("docs/index.md does not say %q", want)
	}
	if m := regexp.MustCompile(`has (\w+) resources?\b`).FindAllStringSubmatch(index, -1); len(m) != 1 {
		t.Errorf("docs/index.md counts the resources %d times: %q", len(m), m)
	}
	for _, name := range resources {
		link := fmt.Sprintf("[`%s`](resources/%s.md)", name, strings.TrimPrefix(name, "cbr_"))
		if !strings.Contains(index, link) {
			t.Errorf("docs/index.md has no link %s", link)
		}
	}
	for _, name := range dataSources {
		link := fmt.Sprintf("[`%s`](data-sources/%s.md)", name, strings.TrimPrefix(name, "cbr_"))
		if !strings.Contains(index, link) {
			t.Errorf("docs/index.md has no link %s", link)
		}
	}
}

var envInDescription = regexp.MustCompile("Can also be set with `(HW_[A-Z_]+)`")

// TestDocsEnvironmentVariables: the table of environment variables in
// docs/index.md lists exactly the arguments whose description names one,
// each with that variable and one the provider reads, and the sentence
// before it names the arguments that have none.
func TestDocsEnvironmentVariables(t *testing.T) {
	var resp provider.SchemaResponse
	(&cbrProvider{}).Schema(context.Background(), provider.SchemaRequest{}, &resp)
	want := map[string]string{}
	var without []string
	for name, a := range resp.Schema.Attributes {
		desc := a.GetMarkdownDescription()
		if m := envInDescription.FindStringSubmatch(desc); m != nil {
			want[name] = m[1]
		} else {
			without = append(without, name)
		}
	}
	index := repoFile(t, "docs/index.md")
	got := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| `(HW_[A-Z_]+)` \\|").FindAllStringSubmatch(index, -1) {
		got[m[1]] = m[2]
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the table of docs/index.md lists %v, the schema descriptions %v", got, want)
	}
	sort.Strings(without)
	quoted := make([]string, len(without))
	for i, n := range without {
		quoted[i] = "`" + n + "`"
	}
	sentence := "Every argument except " + strings.Join(quoted, ", ") + " can also be set with an environment variable"
	if !strings.Contains(strings.Join(strings.Fields(index), " "), sentence) {
		t.Errorf("docs/index.md does not say %q", sentence)
	}
	// Each variable named is one the provider's code names (package
	// credentials names the variables).
	sources, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	credentialSources, err := filepath.Glob("../credentials/*.go")
	if err != nil {
		t.Fatal(err)
	}
	sources = append(sources, credentialSources...)
	var code strings.Builder
	for _, f := range sources {
		if !strings.HasSuffix(f, "_test.go") {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			code.Write(data)
		}
	}
	for attr, env := range want {
		if !strings.Contains(code.String(), fmt.Sprintf("%q", env)) {
			t.Errorf("%s (for %s) is named by no code of the provider", env, attr)
		}
	}
}

// TestDocsTimeoutUnits: the create timeout's description lists every unit
// the timeout accepts and none that it refuses.
func TestDocsTimeoutUnits(t *testing.T) {
	var resp resource.SchemaResponse
	newBackupSyncResource().Schema(context.Background(), resource.SchemaRequest{}, &resp)
	to, ok := resp.Schema.Attributes["timeouts"].(rschema.SingleNestedAttribute)
	if !ok {
		t.Fatalf("timeouts is a %T", resp.Schema.Attributes["timeouts"])
	}
	desc := to.Attributes["create"].GetMarkdownDescription()
	for _, unit := range []string{"ns", "us", "ms", "s", "m", "h", "d", "w", "y"} {
		_, err := time.ParseDuration("2" + unit)
		listed := strings.Contains(desc, "`"+unit+"`")
		if (err == nil) != listed {
			t.Errorf("unit %q: accepted %v, listed in the description %v: %s", unit, err == nil, listed, desc)
		}
	}
}

var (
	variableBlock = regexp.MustCompile(`(?ms)^variable "([^"]+)" \{\n(.*?)^\}`)
	mayBeLeftOut  = regexp.MustCompile(`(?i)leave it unset|leave \w+ out|or set HW_`)
)

// TestExamplesOptionalVariables: a variable of an example whose description
// says it may be left out (the environment then serves) has a default, so
// that Terraform does not ask for it.
func TestExamplesOptionalVariables(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*", "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*.tf"))
	checked := 0
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range variableBlock.FindAllStringSubmatch(string(data), -1) {
			if !mayBeLeftOut.MatchString(m[2]) {
				continue
			}
			checked++
			if !regexp.MustCompile(`(?m)^\s*default\s*=`).MatchString(m[2]) {
				t.Errorf("%s: variable %q says it may be left out, but has no default", f, m[1])
			}
		}
	}
	if checked == 0 {
		t.Error("no variable says it may be left out: is the pattern still right?")
	}
}

// TestAccDocsPlanTimeCalls: what docs/index.md says about terraform plan
// holds: planning cbr_backup_sync calls nothing, and the cbr_operation_log
// and cbr_operation_logs data sources are read during plan.
func TestAccDocsPlanTimeCalls(t *testing.T) {
	index := strings.Join(strings.Fields(repoFile(t, "docs/index.md")), " ")
	for _, claim := range []string{
		"Planning `cbr_backup_sync` sends nothing to IAM or CBR",
		"The `cbr_operation_log` and `cbr_operation_logs` data sources are different: Terraform reads data sources during `terraform plan`",
	} {
		if !strings.Contains(index, claim) {
			t.Errorf("docs/index.md no longer says %q: update this test with the docs", claim)
		}
	}
	fake, url := startFake(t, cbrfake.Options{})
	backups := makeBackups(2)
	ops := fakeSync(t, url, backups[:1])
	before := len(fake.Requests())
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{Config: providerConfig(url) + backupsConfig(backups[1:]), PlanOnly: true, ExpectNonEmptyPlan: true},
			{
				PreConfig: func() {
					if n := len(fake.Requests()); n != before {
						t.Errorf("planning cbr_backup_sync made %d requests", n-before)
					}
				},
				Config: opLogDataConfig(url, ops[backups[0].BackupID]), PlanOnly: true,
			},
			{
				PreConfig: func() {
					if n := fake.Count(cbrfake.KindOperationLog); n == 0 {
						t.Error("planning the cbr_operation_log data source did not read the operation log")
					}
				},
				Config: opLogDataConfig(url, ops[backups[0].BackupID]), PlanOnly: true,
			},
			{
				Config: opLogsConfig(url, ""), PlanOnly: true,
			},
			{
				PreConfig: func() {
					if n := fake.Count(cbrfake.KindOperationLogs); n == 0 {
						t.Error("planning the cbr_operation_logs data source did not list the operation logs")
					}
				},
				Config: opLogsConfig(url, ""), PlanOnly: true,
			},
		},
	})
}

// TestMessagesCountOneBackup: messages about a request of one backup say
// "1 backup".
func TestMessagesCountOneBackup(t *testing.T) {
	apiErr := &cbr.APIError{Method: "POST", URL: "https://cbr.example.com/v3/p/backups/sync", StatusCode: 400, Code: "BackupService.9900", Message: "Invalid parameter"}
	texts := []string{
		notAppliedDetail(apiErr, 1),
		notAppliedDetail(errors.New("not sent"), 1),
		describeMaybeApplied(&cbr.APIError{StatusCode: 502}, 1),
		describeMaybeApplied(&cbr.ResponseError{StatusCode: 200, Err: errors.New("unexpected end of JSON input")}, 1),
	}
	for _, text := range texts {
		if strings.Contains(text, "1 backups") || !strings.Contains(text, "synchronize 1 backup") {
			t.Errorf("message: %.200s", text)
		}
	}
	if s := notAppliedDetail(apiErr, 2); !strings.Contains(s, "synchronize 2 backups.") {
		t.Errorf("message: %.200s", s)
	}
}
