// Command bench measures what terraform-provider-cbr costs on top of Terraform
// itself. It is run by bench/run.sh, which builds the provider and the fake CBR
// API, starts the fake and writes a dev_overrides CLI configuration; see
// BENCHMARKS.md for what is measured and how.
//
// For each repetition, side by side and alternating which goes first, it runs
// `terraform apply` (fresh state), `terraform plan` (on the state just
// applied, refresh included) and `terraform destroy` of configurations of 1 and 200 cbr_backup_sync
// resources of 50 backups each, and of the same configurations written with
// Terraform's built-in terraform_data (the floor: the same objects, no
// provider). It prints medians and ratios, the API calls the fake counted per
// command, the provider's peak memory, its binary size and its start-up time
// to the schema answer, and can write them into BENCHMARKS.md.
//
// At the largest size and for the large resource it also times `terraform plan
// -json` (empty state) and `terraform apply -json` against the floor run with
// -json too, reading their output as automation does and counting its
// diagnostics. With -list-provider it times, beside them, the plan and apply
// of the large resource by an older provider whose backups is a list
// (release 0.2.0), written in the list form.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	providerBin string
	fakeURL     string
	work        string
	terraformrc string
	reps        int
	sizes       []int
	backups     int
	large       int // backups of the single large resource; 0: no such row
	emptyPlan   bool
	logging     bool
	onlyEmpty   bool
	json        bool     // time plan -json and apply -json at the largest size and for the large resource
	listBin     string   // provider whose backups is a list (release 0.2.0); "": no list rows
	listLabel   string   // what listBin was built from
	tfEnv       []string // KEY=VALUE added to every Terraform command's environment
	providerEnv []string // KEY=VALUE added to the provider processes' environment only (through the shim)
	startups    int
	out         string
	command     string
	user        string
	domain      string
	password    string
}

func main() {
	if p := os.Getenv(shimProviderEnv); p != "" {
		runShim(p)
	}
	var o options
	var sizes string
	flag.StringVar(&o.providerBin, "provider", "", "the provider binary (built with -trimpath -ldflags \"-s -w\")")
	flag.StringVar(&o.fakeURL, "fake-url", "", "base URL of a running cbrfake command")
	flag.StringVar(&o.work, "work", "", "working directory (configurations, states, logs)")
	flag.StringVar(&o.terraformrc, "terraformrc", "", "CLI configuration with dev_overrides pointing at the provider binary's directory")
	flag.IntVar(&o.reps, "reps", 3, "repetitions of each timed command")
	flag.StringVar(&sizes, "sizes", "1,200", "numbers of resources, comma separated")
	flag.IntVar(&o.backups, "backups", 50, "backups per resource")
	flag.IntVar(&o.large, "large", 2000, "backups of one large resource, timed as its own rows when the provider accepts that many (0: no such rows)")
	flag.BoolVar(&o.emptyPlan, "empty-plan", true, "time plans from an empty state too (the first plan of a new configuration)")
	flag.BoolVar(&o.logging, "logging", true, "also time the plans from an empty state with the provider's loggers on, as when the user asks for logs (TF_LOG_PROVIDER_CBR=TRACE, which Terraform does not read)")
	flag.BoolVar(&o.onlyEmpty, "empty-plan-only", false, "time only the plans from an empty state (no apply, no plan on a state, no password run)")
	flag.BoolVar(&o.json, "json", true, "also time `terraform plan -json` (empty state) and `terraform apply -json` at the largest size and for the large resource, against the floor with -json")
	flag.StringVar(&o.listBin, "list-provider", "", "a provider binary whose backups is a list (release 0.2.0): the large resource's plans and apply are timed with it too, written in the list form")
	flag.StringVar(&o.listLabel, "list-label", "", "what -list-provider was built from, for the report")
	flag.Func("env", "KEY=VALUE added to the environment of every Terraform command (repeatable)", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("want KEY=VALUE, got %q", v)
		}
		o.tfEnv = append(o.tfEnv, v)
		return nil
	})
	flag.Func("provider-env", "KEY=VALUE added to the provider processes' environment only, e.g. GOGC=200 (repeatable; every provider command then runs through the shim)", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("want KEY=VALUE, got %q", v)
		}
		o.providerEnv = append(o.providerEnv, v)
		return nil
	})
	flag.IntVar(&o.startups, "startups", 10, "provider starts timed to the schema answer")
	flag.StringVar(&o.out, "out", "", "Markdown file whose results section (between the bench markers) is replaced")
	flag.StringVar(&o.command, "command", "", "the command line to record in the results")
	flag.StringVar(&o.user, "user", "", "IAM user the fake accepts, for the password authentication run (password in $CBRFAKE_PASSWORD)")
	flag.StringVar(&o.domain, "domain", "", "IAM domain of -user")
	flag.Parse()
	o.password = os.Getenv("CBRFAKE_PASSWORD")
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fatalf("invalid -sizes %q", sizes)
		}
		o.sizes = append(o.sizes, n)
	}
	if o.onlyEmpty {
		o.emptyPlan = true
	}
	if o.providerBin == "" || o.fakeURL == "" || o.work == "" || o.terraformrc == "" || o.reps < 1 || o.backups < 1 || o.large < 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, o)
	if err != nil {
		fatalf("%v", err)
	}
	md := rep.markdown()
	fmt.Print("\n" + md)
	if o.out != "" {
		if err := replaceSection(o.out, md); err != nil {
			fatalf("%v", err)
		}
		fmt.Printf("\nbench: results written to %s\n", o.out)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// op names a timed command.
type op struct {
	Cmd     string // "apply", "plan", "destroy", "plan-empty", "plan-empty-logs", "plan-empty-json", "apply-json"
	Size    int    // resources
	Backups int    // per resource
	Large   bool   // the single large resource's row
}

func (o op) String() string {
	what := resources(o.Size)
	if o.Large {
		what = fmt.Sprintf("1 resource of %d backups", o.Backups)
	}
	switch o.Cmd {
	case "apply":
		return fmt.Sprintf("apply, %s (fresh state)", what)
	case "apply-json":
		return fmt.Sprintf("apply -json, %s (fresh state)", what)
	case "plan-empty-json":
		return fmt.Sprintf("plan -json, %s (empty state)", what)
	case "plan":
		return fmt.Sprintf("plan, %s (applied state, refresh included)", what)
	case "destroy":
		return fmt.Sprintf("destroy, %s (applied state, refresh included)", what)
	case "plan-empty-logs":
		return fmt.Sprintf("plan, %s (empty state), provider logs on", what)
	default:
		return fmt.Sprintf("plan, %s (empty state)", what)
	}
}

// config names a generated configuration: size resources of backups each.
type config struct{ size, backups int }

func (o op) config() config { return config{o.Size, o.Backups} }

// syncBatch is the number of backups the provider sends per sync request
// (the API's limit).
const syncBatch = 50

// syncsPerResource is the number of sync requests creating a resource of m
// backups takes.
func syncsPerResource(m int) int { return (m + syncBatch - 1) / syncBatch }

func resources(n int) string {
	if n == 1 {
		return "1 resource"
	}
	return fmt.Sprintf("%d resources", n)
}

type report struct {
	opts        options
	machine     machine
	start, end  time.Time
	loadBefore  string
	loadAfter   string
	binarySize  int64
	ops         []op
	samples     map[op]map[kind][]tfResult
	calls       map[op][]calls
	listCalls   map[op][]calls // the list provider's commands
	listNote    string         // why the list provider's rows were skipped, if they were
	startups    []startup
	schemaTF    map[kind][]tfResult
	launches    map[op][][]launch // provider processes of each command at the largest size, per repetition
	largest     int
	password    string    // why the password run was skipped, if it was
	largeNote   string    // why the large resource's rows were skipped, if they were
	loads       []float64 // 1-minute load average at the start of each timed command
	pwApply     *calls
	pwPlan      *calls
	schemaBytes int
}

func run(ctx context.Context, o options) (*report, error) {
	r := &report{opts: o, start: time.Now(), loadBefore: loadavg(), samples: map[op]map[kind][]tfResult{}, calls: map[op][]calls{}, listCalls: map[op][]calls{}, schemaTF: map[kind][]tfResult{}, launches: map[op][][]launch{}}
	var err error
	if r.machine, err = describeMachine(ctx); err != nil {
		return nil, err
	}
	fi, err := os.Stat(o.providerBin)
	if err != nil {
		return nil, err
	}
	r.binarySize = fi.Size()

	logs := filepath.Join(o.work, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}
	dirOf := func(k kind, c config) string {
		return filepath.Join(o.work, "config", fmt.Sprintf("%s-%dx%d", k, c.size, c.backups))
	}
	dir := func(k kind, n int) string { return dirOf(k, config{n, o.backups}) }
	ids := map[config][]string{}
	configs := []config{}
	for _, n := range o.sizes {
		configs = append(configs, config{n, o.backups})
	}
	if o.large > 0 {
		configs = append(configs, config{1, o.large})
	}
	for _, c := range configs {
		kinds := []kind{provider, floor}
		if o.listBin != "" && o.large > 0 && c == (config{1, o.large}) {
			kinds = append(kinds, list)
		}
		for _, k := range kinds {
			if err := writeConfig(dirOf(k, c), k, c.size, c.backups, o.fakeURL); err != nil {
				return nil, err
			}
		}
		for i := 0; i < c.size; i++ {
			for j := 0; j < c.backups; j++ {
				ids[c] = append(ids[c], backupID(c.size, i, j))
			}
		}
	}
	env := terraformEnv(o, map[string]string{
		"HW_REGION_NAME": "cn-north-4",
		"HW_PROJECT_ID":  "0b1d2f3e4a5c6d7e8f9a0b1c2d3e4f5a",
		"HW_AUTH_TOKEN":  "fake-cbr-token",
	})
	seq := 0
	tfEnv := func(env []string, k kind, c config, okCodes []int, args ...string) (tfResult, error) {
		seq++
		name := args[0]
		if jsonStream(args) {
			name += "-json"
		}
		log := filepath.Join(logs, fmt.Sprintf("%03d-%s-%s-%dx%d.log", seq, name, k, c.size, c.backups))
		return terraform(ctx, dirOf(k, c), env, log, okCodes, args...)
	}
	tf := func(k kind, n int, okCodes []int, args ...string) (tfResult, error) {
		return tfEnv(env, k, config{n, o.backups}, okCodes, args...)
	}

	// At the largest size, the provider is started through the shim (see
	// shim.go), which records each provider process's peak memory and CPU.
	r.largest = slices.Max(o.sizes)
	shimDir := filepath.Join(o.work, "shim")
	if err := os.MkdirAll(shimDir, 0o755); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	link := filepath.Join(shimDir, "terraform-provider-cbr")
	_ = os.Remove(link)
	if err := os.Symlink(self, link); err != nil {
		return nil, err
	}
	shimRC := filepath.Join(o.work, "terraformrc.shim")
	if err := os.WriteFile(shimRC, []byte(fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"cbr-sync/cbr\" = %q\n  }\n  direct {}\n}\n", shimDir)), 0o644); err != nil {
		return nil, err
	}
	shimEnv := func(base []string, logPath string) []string {
		out := slices.DeleteFunc(slices.Clone(base), func(kv string) bool { return strings.HasPrefix(kv, "TF_CLI_CONFIG_FILE=") })
		out = append(out, "TF_CLI_CONFIG_FILE="+shimRC, shimProviderEnv+"="+o.providerBin, shimLogEnv+"="+logPath)
		if len(o.providerEnv) > 0 {
			out = append(out, shimEnvEnv+"="+strings.Join(o.providerEnv, "\n"))
		}
		return out
	}
	order := func(rep int) []kind {
		if rep%2 == 0 {
			return []kind{provider, floor}
		}
		return []kind{floor, provider}
	}
	// The list provider runs from its own dev_overrides configuration.
	var listEnv []string
	if o.listBin != "" {
		listRC := filepath.Join(o.work, "terraformrc.list")
		if err := os.WriteFile(listRC, []byte(fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"cbr-sync/cbr\" = %q\n  }\n  direct {}\n}\n", filepath.Dir(o.listBin))), 0o644); err != nil {
			return nil, err
		}
		listEnv = slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "TF_CLI_CONFIG_FILE=") })
		listEnv = append(listEnv, "TF_CLI_CONFIG_FILE="+listRC)
	}
	withList := false // the large resource's plans and apply are timed with the list provider too

	// Start-up: directly, then through `terraform providers schema -json`.
	smallest := slices.Min(o.sizes)
	progress("provider start-up to schema answer, %d times", o.startups)
	for i := 0; i < o.startups; i++ {
		s, err := measureStartup(ctx, o.providerBin, "cbr_backup_sync")
		if err != nil {
			return nil, fmt.Errorf("start-up measurement: %w", err)
		}
		r.startups = append(r.startups, s)
		r.schemaBytes = s.SchemaBytes
	}
	var schemaJSON []byte
	for rep := 0; rep < o.startups; rep++ {
		for _, k := range order(rep) {
			res, err := tf(k, smallest, []int{0}, "providers", "schema", "-json")
			if err != nil {
				return nil, err
			}
			r.schemaTF[k] = append(r.schemaTF[k], res)
			if k == provider && schemaJSON == nil {
				if schemaJSON, err = os.ReadFile(filepath.Join(logs, fmt.Sprintf("%03d-providers-provider-%dx%d.log", seq, smallest, o.backups))); err != nil {
					return nil, err
				}
			}
		}
	}

	// The timed commands. The large resource's rows run when the provider
	// accepts that many backups in one resource (terraform validate).
	var sets []config
	for _, n := range o.sizes {
		sets = append(sets, config{n, o.backups})
	}
	if o.large > 0 {
		c := config{1, o.large}
		seq++
		log := filepath.Join(logs, fmt.Sprintf("%03d-validate-provider-1x%d.log", seq, o.large))
		if _, err := terraform(ctx, dirOf(provider, c), env, log, []int{0}, "validate", "-no-color"); err != nil {
			r.largeNote = fmt.Sprintf("skipped: `terraform validate` refuses %d backups in one resource: %s", o.large, firstError(log))
			progress("one resource of %d backups: %s", o.large, r.largeNote)
		} else {
			sets = append(sets, c)
		}
		switch {
		case o.listBin == "":
		case o.onlyEmpty:
			r.listNote = "skipped: -empty-plan-only"
		default:
			seq++
			log := filepath.Join(logs, fmt.Sprintf("%03d-validate-list-1x%d.log", seq, o.large))
			if _, err := terraform(ctx, dirOf(list, c), listEnv, log, []int{0}, "validate", "-no-color"); err != nil {
				r.listNote = fmt.Sprintf("skipped: `terraform validate` of the list form refuses %d backups in one resource: %s", o.large, firstError(log))
				progress("list form, one resource of %d backups: %s", o.large, r.listNote)
			} else {
				withList = true
			}
		}
	}
	// kinds are the configurations timed for x in repetition rep, in order:
	// the list provider's between the two others, for the large resource.
	kinds := func(x op, rep int) []kind {
		ks := order(rep)
		if withList && x.Large && (x.Cmd == "plan-empty" || x.Cmd == "apply" || x.Cmd == "plan") {
			ks = []kind{ks[0], list, ks[1]}
		}
		return ks
	}
	for _, c := range sets {
		large := o.large > 0 && c == config{1, o.large}
		withJSON := o.json && (large || c.size == r.largest)
		if o.emptyPlan {
			r.ops = append(r.ops, op{"plan-empty", c.size, c.backups, large})
			if withJSON {
				r.ops = append(r.ops, op{"plan-empty-json", c.size, c.backups, large})
			}
			if o.logging {
				r.ops = append(r.ops, op{"plan-empty-logs", c.size, c.backups, large})
			}
		}
		if !o.onlyEmpty {
			// The -json apply first: the plan and destroy below run on
			// the state of the human-readable apply.
			if withJSON {
				r.ops = append(r.ops, op{"apply-json", c.size, c.backups, large})
			}
			r.ops = append(r.ops, op{"apply", c.size, c.backups, large}, op{"plan", c.size, c.backups, large}, op{"destroy", c.size, c.backups, large})
		}
	}
	for _, x := range r.ops {
		r.samples[x] = map[kind][]tfResult{}
	}
	measure := func(x op, k kind, rep int, okCodes []int, args ...string) error {
		var before fakeStats
		if k != floor {
			var err error
			if before, err = getStats(ctx, o.fakeURL); err != nil {
				return err
			}
		}
		progress("rep %d/%d  %-8s %s", rep+1, o.reps, k, x)
		if l, err := strconv.ParseFloat(strings.Fields(loadavg() + " x")[0], 64); err == nil {
			r.loads = append(r.loads, l)
		}
		cmdEnv, shimLog := env, ""
		if x.Cmd == "plan-empty-logs" {
			// The provider's loggers stay on, as when the user asks for
			// logs; Terraform reads only TF_LOG, TF_LOG_CORE,
			// TF_LOG_PROVIDER and TF_LOG_PATH, so it still discards them.
			cmdEnv = append(slices.Clone(env), "TF_LOG_PROVIDER_CBR=TRACE")
		}
		if k == provider && (x.Size == r.largest || x.Large || len(o.providerEnv) > 0) {
			shimLog = filepath.Join(o.work, fmt.Sprintf("shim-%03d.jsonl", seq+1))
			cmdEnv = shimEnv(cmdEnv, shimLog)
		}
		if k == list {
			cmdEnv = listEnv
		}
		res, err := tfEnv(cmdEnv, k, x.config(), okCodes, args...)
		if err != nil {
			return err
		}
		r.samples[x][k] = append(r.samples[x][k], res)
		if shimLog != "" {
			ls, err := readLaunches(shimLog)
			if err != nil {
				return err
			}
			r.launches[x] = append(r.launches[x], ls)
		}
		if k != floor {
			after, err := getStats(ctx, o.fakeURL)
			if err != nil {
				return err
			}
			var want []string
			if x.Cmd == "apply" || x.Cmd == "apply-json" {
				want = ids[x.config()]
			}
			if k == list {
				r.listCalls[x] = append(r.listCalls[x], diffCalls(before, after, want))
			} else {
				r.calls[x] = append(r.calls[x], diffCalls(before, after, want))
			}
		}
		return nil
	}
	for rep := 0; rep < o.reps; rep++ {
		for _, x := range r.ops {
			for _, k := range kinds(x, rep) {
				var err error
				switch x.Cmd {
				case "plan-empty-logs":
					// The floor has no provider: its plan is the same
					// command as plan-empty, whose samples it reuses.
					if k == provider {
						if err = removeState(dirOf(k, x.config())); err == nil {
							err = measure(x, k, rep, []int{2}, "plan", "-input=false", "-no-color", "-detailed-exitcode")
						}
					}
				case "plan-empty":
					if err = removeState(dirOf(k, x.config())); err == nil {
						// Exit code 2 with -detailed-exitcode: changes to make.
						err = measure(x, k, rep, []int{2}, "plan", "-input=false", "-no-color", "-detailed-exitcode")
					}
				case "plan-empty-json":
					if err = removeState(dirOf(k, x.config())); err == nil {
						err = measure(x, k, rep, []int{2}, "plan", "-input=false", "-json", "-detailed-exitcode")
					}
				case "apply":
					if err = removeState(dirOf(k, x.config())); err == nil {
						err = measure(x, k, rep, []int{0}, "apply", "-input=false", "-no-color", "-auto-approve")
					}
				case "apply-json":
					if err = removeState(dirOf(k, x.config())); err == nil {
						err = measure(x, k, rep, []int{0}, "apply", "-input=false", "-json", "-auto-approve")
					}
				case "plan":
					// Exit code 0 with -detailed-exitcode: no changes.
					err = measure(x, k, rep, []int{0}, "plan", "-input=false", "-no-color", "-detailed-exitcode")
				case "destroy":
					// The state the plan above found unchanged.
					err = measure(x, k, rep, []int{0}, "destroy", "-input=false", "-no-color", "-auto-approve")
				}
				if err != nil {
					return nil, err
				}
			}
		}
	}

	for _, x := range r.ops {
		if x.Cmd == "plan-empty-logs" {
			r.samples[x][floor] = r.samples[op{"plan-empty", x.Size, x.Backups, x.Large}][floor]
		}
	}

	// API calls with password authentication, when the provider has it.
	if err := r.passwordRun(ctx, schemaJSON, dir(provider, r.largest), ids[config{r.largest, o.backups}], logs, &seq); err != nil {
		return nil, err
	}

	r.end = time.Now()
	r.loadAfter = loadavg()
	return r, nil
}

// passwordRun applies and plans the largest configuration with password
// authentication and records the calls the fake saw.
func (r *report) passwordRun(ctx context.Context, schemaJSON []byte, dir string, ids []string, logs string, seq *int) error {
	o := r.opts
	supported, err := hasProviderAttribute(schemaJSON, "user_name")
	if err != nil {
		return err
	}
	switch {
	case !supported:
		r.password = "skipped: provider has no password auth"
		return nil
	case o.onlyEmpty:
		r.password = "skipped: -empty-plan-only"
		return nil
	case o.user == "" || o.password == "":
		r.password = "skipped: the fake was started without -user/-password"
		return nil
	}
	env := terraformEnv(o, map[string]string{
		"HW_REGION_NAME":   "cn-north-4",
		"HW_PROJECT_ID":    "0b1d2f3e4a5c6d7e8f9a0b1c2d3e4f5a",
		"HW_USER_NAME":     o.user,
		"HW_USER_PASSWORD": o.password,
		"HW_DOMAIN_NAME":   o.domain,
		"HW_AUTH_URL":      o.fakeURL + "/v3",
	})
	step := func(name string, okCodes []int, want []string, args ...string) (*calls, error) {
		before, err := getStats(ctx, o.fakeURL)
		if err != nil {
			return nil, err
		}
		*seq++
		progress("password %s, %s", name, resources(r.largest))
		if _, err := terraform(ctx, dir, env, filepath.Join(logs, fmt.Sprintf("%03d-password-%s.log", *seq, name)), okCodes, args...); err != nil {
			return nil, err
		}
		after, err := getStats(ctx, o.fakeURL)
		if err != nil {
			return nil, err
		}
		c := diffCalls(before, after, want)
		return &c, nil
	}
	if err := removeState(dir); err != nil {
		return err
	}
	if r.pwApply, err = step("apply", []int{0}, ids, "apply", "-input=false", "-no-color", "-auto-approve"); err != nil {
		return err
	}
	r.pwPlan, err = step("plan", []int{0}, nil, "plan", "-input=false", "-no-color", "-detailed-exitcode")
	return err
}

// hasProviderAttribute tells whether the provider block of the cbr provider in
// `terraform providers schema -json` output has the attribute.
func hasProviderAttribute(schemaJSON []byte, attr string) (bool, error) {
	var s struct {
		ProviderSchemas map[string]struct {
			Provider struct {
				Block struct {
					Attributes map[string]json.RawMessage `json:"attributes"`
				} `json:"block"`
			} `json:"provider"`
		} `json:"provider_schemas"`
	}
	// The log holds Terraform's warnings about dev_overrides too; the JSON
	// document is the line that starts with '{'.
	for _, line := range strings.Split(string(schemaJSON), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			return false, fmt.Errorf("reading the provider schema: %w", err)
		}
		for name, p := range s.ProviderSchemas {
			if strings.HasSuffix(name, "/cbr-sync/cbr") {
				_, ok := p.Provider.Block.Attributes[attr]
				return ok, nil
			}
		}
	}
	return false, errors.New("no cbr provider in `terraform providers schema -json` output")
}

// terraformEnv is the environment of every Terraform command: this process's
// environment without HW_*, TF_* and CBRFAKE_* variables, plus vars.
func terraformEnv(o options, vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HW_") || strings.HasPrefix(kv, "TF_") || strings.HasPrefix(kv, "CBRFAKE_") || strings.HasPrefix(kv, "CBR_BENCH_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+o.terraformrc, "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1")
	env = append(env, o.tfEnv...)
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, k+"="+vars[k])
	}
	return env
}

func readLaunches(path string) ([]launch, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the shim left no log (did Terraform start the provider?): %w", err)
	}
	var out []launch
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var l launch
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// machine describes where the benchmark ran.
type machine struct {
	CPU, Memory, Kernel, Go, Terraform string
	Cores                              int
}

func describeMachine(ctx context.Context) (machine, error) {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version(), CPU: "unknown", Memory: "unknown"}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64); err == nil {
					m.Memory = fmt.Sprintf("%.1f GiB", kb/(1<<20))
				}
			}
		}
	}
	if out, err := exec.CommandContext(ctx, "uname", "-sr").Output(); err == nil {
		m.Kernel = strings.TrimSpace(string(out))
	}
	out, err := exec.CommandContext(ctx, "terraform", "version", "-json").Output()
	if err != nil {
		return m, fmt.Errorf("terraform version: %w", err)
	}
	var v struct {
		Version  string `json:"terraform_version"`
		Platform string `json:"platform"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return m, fmt.Errorf("terraform version -json: %w", err)
	}
	m.Terraform = v.Version + " " + v.Platform
	return m, nil
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// firstError is the first error of a Terraform log: its summary and the
// last paragraph of its detail, or a pointer to the log.
func firstError(logFile string) string {
	data, err := os.ReadFile(logFile)
	if err != nil {
		return "see " + logFile
	}
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		msg, ok := strings.CutPrefix(strings.TrimSpace(line), "Error: ")
		if !ok {
			continue
		}
		var para, last []string
		for _, next := range lines[i+1:] {
			next = strings.TrimSpace(next)
			if strings.HasPrefix(next, "Error: ") || strings.HasPrefix(next, "Warning: ") {
				break
			}
			if next == "" {
				if len(para) > 0 {
					last, para = para, nil
				}
				continue
			}
			para = append(para, next)
		}
		if len(para) > 0 {
			last = para
		}
		if len(last) == 0 {
			return msg
		}
		return msg + ": " + strings.Join(last, " ")
	}
	return "see " + logFile
}
