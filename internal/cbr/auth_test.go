package cbr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

const (
	testAK = "HPUAL3DA4XKQZ2MEXAMPLE"
	testSK = "k7Vb2QxR9tLmN4pZsW8yEaJcU3fG6hDiO1qT5vXe"
	testST = "gQpjbi1ub3J0aC00fEXAMPLESECURITYTOKEN"
)

var testUser = cbrfake.User{Domain: "acme", Name: "deployer", Password: "s3cret-Passw0rd"}

func requestsOf(fake *cbrfake.Server, kind string) []cbrfake.Request {
	var out []cbrfake.Request
	for _, r := range fake.Requests() {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

var authzPattern = regexp.MustCompile(`^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$`)

// signedHeaders checks the Authorization header of r and returns its signed headers.
func signedHeaders(t *testing.T, r cbrfake.Request) []string {
	t.Helper()
	m := authzPattern.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		t.Fatalf("Authorization = %q", r.Header.Get("Authorization"))
	}
	if m[1] != testAK {
		t.Errorf("Access = %q", m[1])
	}
	return strings.Split(m[2], ";")
}

func TestAKSKAuthAgainstTheFake(t *testing.T) {
	for _, temporary := range []bool{false, true} {
		t.Run(fmt.Sprintf("temporary=%v", temporary), func(t *testing.T) {
			opts := cbrfake.Options{Tokens: []string{}, AccessKeys: map[string]string{testAK: testSK}}
			auth := AKSKAuth{AccessKey: testAK, SecretKey: testSK}
			if temporary {
				opts.SecurityTokens = map[string]string{testAK: testST}
				auth.SecurityToken = testST
			}
			fake, url := startFake(t, opts)
			c := fakeClient(t, url, cbrfake.DefaultProjectID, auth)
			if _, err := c.SyncBackups(context.Background(), testBackups(2)); err != nil {
				t.Fatal(err)
			}
			syncs := requestsOf(fake, cbrfake.KindSync)
			if len(syncs) != 1 || syncs[0].Status != http.StatusOK {
				t.Fatalf("sync requests: %+v", syncs)
			}
			r := syncs[0]
			want := "host;user-agent;x-project-id;x-sdk-date"
			if temporary {
				want = "host;user-agent;x-project-id;x-sdk-date;x-security-token"
			}
			if got := strings.Join(signedHeaders(t, r), ";"); got != "accept;"+want {
				t.Errorf("SignedHeaders = %s, want accept;%s", got, want)
			}
			if got := r.Header.Get("X-Project-Id"); got != cbrfake.DefaultProjectID {
				t.Errorf("X-Project-Id = %q", got)
			}
			if !regexp.MustCompile(`^\d{8}T\d{6}Z$`).MatchString(r.Header.Get("X-Sdk-Date")) {
				t.Errorf("X-Sdk-Date = %q", r.Header.Get("X-Sdk-Date"))
			}
			if got := r.Header.Get("X-Security-Token"); temporary && got != testST || !temporary && got != "" {
				t.Errorf("X-Security-Token = %q", got)
			}
			if r.Header.Get("X-Auth-Token") != "" {
				t.Error("X-Auth-Token sent with AK/SK")
			}
		})
	}
}

// TestAKSKAuthTamperedRequests signs a request, changes one thing and checks
// that the fake, which recomputes the signature with the official signer,
// refuses it; the untouched request passes.
func TestAKSKAuthTamperedRequests(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, AccessKeys: map[string]string{testAK: testSK}})
	body, err := json.Marshal(map[string]any{"sync": testBackups(1)})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v3/" + cbrfake.DefaultProjectID + "/backups/sync"
	now := time.Now()
	cases := []struct {
		name   string
		auth   AKSKAuth
		tamper func(r *http.Request, body []byte) []byte
		want   string
	}{
		{name: "untouched", auth: AKSKAuth{AccessKey: testAK, SecretKey: testSK}},
		{name: "body", auth: AKSKAuth{AccessKey: testAK, SecretKey: testSK},
			tamper: func(_ *http.Request, b []byte) []byte {
				return bytes.Replace(b, []byte("name-a0"), []byte("name-a1"), 1)
			},
			want: "signature mismatch"},
		{name: "path", auth: AKSKAuth{AccessKey: testAK, SecretKey: testSK},
			tamper: func(r *http.Request, b []byte) []byte {
				r.URL.Path = strings.Replace(r.URL.Path, "/backups/", "//backups/", 1)
				return b
			},
			want: ""}, // the path no longer routes: 404, not a signature error
		{name: "date", auth: AKSKAuth{AccessKey: testAK, SecretKey: testSK},
			tamper: func(r *http.Request, b []byte) []byte {
				r.Header.Set("X-Sdk-Date", now.Add(time.Minute).UTC().Format("20060102T150405Z"))
				return b
			},
			want: "signature mismatch"},
		{name: "project header", auth: AKSKAuth{AccessKey: testAK, SecretKey: testSK},
			tamper: func(r *http.Request, b []byte) []byte { r.Header.Set("X-Project-Id", "ffff"); return b },
			want:   "signature mismatch"},
		{name: "wrong secret key", auth: AKSKAuth{AccessKey: testAK, SecretKey: testSK + "x"}, want: "signature mismatch"},
		{name: "unknown access key", auth: AKSKAuth{AccessKey: "NOPE" + testAK, SecretKey: testSK}, want: "unknown access key"},
		{name: "clock off by an hour", auth: AKSKAuth{AccessKey: testAK, SecretKey: testSK, Now: func() time.Time { return now.Add(-time.Hour) }}, want: "differs from the server time"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, url+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json;charset=UTF-8")
			req.Header.Set("X-Project-Id", cbrfake.DefaultProjectID)
			if tc.auth.Now == nil {
				tc.auth.Now = func() time.Time { return now }
			}
			if err := tc.auth.Authenticate(context.Background(), req, body); err != nil {
				t.Fatal(err)
			}
			sent := body
			if tc.tamper != nil {
				sent = tc.tamper(req, append([]byte(nil), body...))
			}
			req.Body = io.NopCloser(bytes.NewReader(sent))
			req.ContentLength = int64(len(sent))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case tc.name == "untouched":
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("HTTP %d %s", resp.StatusCode, data)
				}
			case tc.want == "":
				if resp.StatusCode == http.StatusOK {
					t.Fatalf("HTTP 200 for a tampered request")
				}
			default:
				e := ParseAPIError(resp.StatusCode, data, "")
				if e.StatusCode != 401 || e.Code != "APIGW.0301" || !strings.Contains(e.Message, tc.want) {
					t.Fatalf("got %v, want 401 APIGW.0301 ...%s", e, tc.want)
				}
			}
		})
	}
	if n := len(fake.Synced()); n != 1 {
		t.Errorf("the fake applied %d syncs, want 1 (the untouched one)", n)
	}
}

func TestAKSKAuthQueryIsSigned(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, AccessKeys: map[string]string{testAK: testSK}, ListProjects: true})
	c := fakeClient(t, url, "", AKSKAuth{AccessKey: testAK, SecretKey: testSK})
	pid, err := c.ProjectID(context.Background())
	if err != nil || pid != cbrfake.DefaultProjectID {
		t.Fatalf("ProjectID = %q, %v", pid, err)
	}
	look := requestsOf(fake, cbrfake.KindIAMAuthProjects)
	if len(look) != 1 || look[0].RawQuery != "" || look[0].Status != 200 {
		t.Fatalf("lookups: %+v", look)
	}
	// The lookup is account-wide: no X-Project-Id.
	if got := strings.Join(signedHeaders(t, look[0]), ";"); got != "accept;host;user-agent;x-sdk-date" {
		t.Errorf("SignedHeaders = %s", got)
	}

	// A query is signed too: the fake recomputes the signature over it.
	req, _ := http.NewRequest(http.MethodGet, url+"/v3/projects?name="+cbrfake.DefaultRegion+"&enabled=true", nil)
	if err := (AKSKAuth{AccessKey: testAK, SecretKey: testSK}).Authenticate(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("signed request with a query: HTTP %d", resp.StatusCode)
	}
}

func TestCredentialsRefused(t *testing.T) {
	cases := []struct {
		name   string
		auth   Authenticator
		method AuthMethod
		why    string
	}{
		{"token", TokenAuth("stale"), AuthMethodToken, "the IAM token was refused"},
		{"aksk", AKSKAuth{AccessKey: testAK, SecretKey: "wrong"}, AuthMethodAKSK, "the AK/SK signature was refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := startFake(t, cbrfake.Options{AccessKeys: map[string]string{testAK: testSK}})
			c := fakeClient(t, url, cbrfake.DefaultProjectID, tc.auth)
			_, err := c.SyncBackups(context.Background(), testBackups(1))
			var credErr *CredentialsError
			if !errors.As(err, &credErr) || credErr.Method != tc.method || credErr.Renewed {
				t.Fatalf("err = %T %v", err, err)
			}
			if credErr.Err.StatusCode != 401 || credErr.Err.Code != "APIGW.0301" || credErr.Err.RequestID == "" {
				t.Errorf("API error %+v", credErr.Err)
			}
			if !strings.Contains(err.Error(), tc.why) || !strings.Contains(err.Error(), "error_code APIGW.0301") {
				t.Errorf("message %q", err)
			}
			if MaybeApplied(err) {
				t.Error("MaybeApplied = true for a refused request")
			}
			if n := fake.Count(cbrfake.KindSync); n != 1 {
				t.Errorf("%d sync requests, want 1: no retry without a renewable token", n)
			}
		})
	}
}

func TestProjectLookup(t *testing.T) {
	t.Run("once for many concurrent calls", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		c := fakeClient(t, url, "", TokenAuth(cbrfake.DefaultToken))
		syncConcurrently(t, c, 20)
		if t.Failed() {
			t.FailNow()
		}
		look := requestsOf(fake, cbrfake.KindIAMAuthProjects)
		if len(look) != 1 {
			t.Fatalf("%d project lookups, want 1", len(look))
		}
		if look[0].Header.Get("X-Auth-Token") != cbrfake.DefaultToken || look[0].RawQuery != "" {
			t.Errorf("lookup %s?%s with token %q", look[0].Path, look[0].RawQuery, look[0].Header.Get("X-Auth-Token"))
		}
		for _, r := range requestsOf(fake, cbrfake.KindSync) {
			if r.Path != "/v3/"+cbrfake.DefaultProjectID+"/backups/sync" || r.Status != 200 {
				t.Errorf("sync %s: %d", r.Path, r.Status)
			}
		}
	})
	t.Run("without the right to list projects", func(t *testing.T) {
		// The fake refuses GET /v3/projects to these credentials, as IAM
		// does to a user with CBR permissions only.
		fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, AccessKeys: map[string]string{testAK: testSK}})
		c := fakeClient(t, url, "", AKSKAuth{AccessKey: testAK, SecretKey: testSK})
		syncOne(t, c)
		if n := fake.Count(cbrfake.KindIAMProjects); n != 0 {
			t.Errorf("%d calls of GET /v3/projects", n)
		}
	})
	t.Run("project_name", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		c := newClient(t, Config{Endpoint: url, IAMEndpoint: url + "/v3", Region: "cn-east-3", ProjectName: "MOS", Auth: TokenAuth(cbrfake.DefaultToken)})
		pid, err := c.ProjectID(context.Background())
		if err != nil || pid == "" || pid == cbrfake.DefaultProjectID || fake.Count(cbrfake.KindIAMAuthProjects) != 1 {
			t.Fatalf("ProjectID = %q, %v", pid, err)
		}
	})
	t.Run("configured project: no lookup", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		c := fakeClient(t, url, cbrfake.DefaultProjectID, TokenAuth(cbrfake.DefaultToken))
		syncOne(t, c)
		if n := len(fake.Requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("unknown region", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{})
		c := newClient(t, Config{Endpoint: url, IAMEndpoint: url + "/v3", Region: "xx-nowhere-1", Auth: TokenAuth(cbrfake.DefaultToken)})
		for i := 0; i < 2; i++ {
			_, err := c.SyncBackups(context.Background(), testBackups(1))
			var authErr *AuthError
			if !errors.As(err, &authErr) || authErr.Step != AuthStepProject ||
				!strings.Contains(err.Error(), `IAM lists no project named "xx-nowhere-1" among the 3 projects these credentials may use (MOS, ap-southeast-1, cn-north-4; request id `) {
				t.Fatalf("err = %T %v", err, err)
			}
			if MaybeApplied(err) {
				t.Error("MaybeApplied = true, but nothing was sent to CBR")
			}
		}
		// A failed lookup is not cached: the next call tries again.
		if n, s := fake.Count(cbrfake.KindIAMAuthProjects), fake.Count(cbrfake.KindSync); n != 2 || s != 0 {
			t.Errorf("%d lookups and %d syncs, want 2 and 0", n, s)
		}
	})
	t.Run("lookup refused", func(t *testing.T) {
		_, url := startFake(t, cbrfake.Options{})
		c := fakeClient(t, url, "", TokenAuth("expired"))
		_, err := c.SyncBackups(context.Background(), testBackups(1))
		var authErr *AuthError
		var credErr *CredentialsError
		if !errors.As(err, &authErr) || !errors.As(err, &credErr) || credErr.Err.StatusCode != 401 {
			t.Fatalf("err = %T %v", err, err)
		}
	})
	t.Run("several projects", func(t *testing.T) {
		srv := http.NewServeMux()
		srv.HandleFunc("/v3/auth/projects", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-Id", "rid-1")
			_, _ = io.WriteString(w, `{"projects":[{"id":"p1","name":"cn-north-4"},{"id":"p2","name":"cn-north-4"},{"id":"p3","name":"cn-east-3"}]}`)
		})
		url := startHandler(t, srv)
		c := fakeClient(t, url, "", TokenAuth("t"))
		_, err := c.ProjectID(context.Background())
		if err == nil || !strings.Contains(err.Error(), `IAM lists 2 projects named "cn-north-4" (p1, p2; request id rid-1)`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("exact name among all accessible projects", func(t *testing.T) {
		srv := http.NewServeMux()
		srv.HandleFunc("/v3/auth/projects", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"projects":[{"id":"mos","name":"MOS"},{"id":"p1","name":"cn-north-4"},{"id":"p3","name":"cn-east-3"}]}`)
		})
		url := startHandler(t, srv)
		c := fakeClient(t, url, "", TokenAuth("t"))
		if pid, err := c.ProjectID(context.Background()); err != nil || pid != "p1" {
			t.Fatalf("ProjectID = %q, %v", pid, err)
		}
	})
}

func TestPasswordAuth(t *testing.T) {
	users := []cbrfake.User{testUser}
	pa := PasswordAuth{UserName: testUser.Name, Password: testUser.Password, DomainName: testUser.Domain}

	t.Run("token scoped by region name gives the project", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: users})
		c := fakeClient(t, url, "", pa)
		for i := 0; i < 3; i++ {
			syncOne(t, c)
		}
		if n := fake.IssuedTokens(); n != 1 {
			t.Errorf("%d tokens issued, want 1", n)
		}
		if n := fake.Count(cbrfake.KindIAMProjects); n != 0 {
			t.Errorf("%d project lookups, want 0: the token tells the project", n)
		}
		tr := requestsOf(fake, cbrfake.KindIAMToken)
		if len(tr) != 1 || tr[0].RawQuery != "nocatalog=true" || tr[0].Header.Get("X-Auth-Token") != "" || tr[0].Header.Get("Authorization") != "" {
			t.Fatalf("token requests %+v", tr)
		}
		want := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"deployer","password":"s3cret-Passw0rd","domain":{"name":"acme"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`
		if string(tr[0].Body) != want {
			t.Errorf("token request body\n got %s\nwant %s", tr[0].Body, want)
		}
		for _, r := range requestsOf(fake, cbrfake.KindSync) {
			if tok := r.Header.Get("X-Auth-Token"); !strings.HasPrefix(tok, "MII") || r.Status != 200 || r.Header.Get("X-Project-Id") != "" {
				t.Errorf("sync with token %q: %d", tok, r.Status)
			}
		}
	})
	t.Run("configured project scopes by id", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: users})
		c := fakeClient(t, url, cbrfake.DefaultProjectID, pa)
		syncOne(t, c)
		tr := requestsOf(fake, cbrfake.KindIAMToken)
		if len(tr) != 1 || !strings.HasSuffix(string(tr[0].Body), `"scope":{"project":{"id":"`+cbrfake.DefaultProjectID+`"}}}}`) {
			t.Fatalf("token requests %+v", tr)
		}
	})
	for _, projectID := range []string{"", cbrfake.DefaultProjectID} {
		t.Run("twenty concurrent calls share one token, project "+projectID, func(t *testing.T) {
			fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: users})
			// Slow IAM: every caller arrives while the token is being fetched.
			fake.InjectFault(cbrfake.KindIAMToken, cbrfake.Fault{Delay: 200 * time.Millisecond})
			c := fakeClient(t, url, projectID, pa)
			syncConcurrently(t, c, 20)
			if n := fake.IssuedTokens(); n != 1 {
				t.Errorf("%d tokens issued, want 1", n)
			}
			if n := fake.Count(cbrfake.KindSync); n != 20 {
				t.Errorf("%d syncs, want 20", n)
			}
		})
	}
	t.Run("expired token: one new token, one retry", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: users})
		c := fakeClient(t, url, "", pa)
		syncOne(t, c)
		fake.ExpireTokens()
		if _, err := c.SyncBackups(context.Background(), testBackups(2)); err != nil {
			t.Fatal(err)
		}
		syncs := requestsOf(fake, cbrfake.KindSync)
		if len(syncs) != 3 || syncs[1].Status != 401 || syncs[2].Status != 200 {
			t.Fatalf("syncs: %d", len(syncs))
		}
		if syncs[1].Header.Get("X-Auth-Token") == syncs[2].Header.Get("X-Auth-Token") {
			t.Error("the retry used the refused token")
		}
		if !bytes.Equal(syncs[1].Body, syncs[2].Body) {
			t.Error("the retry sent another body")
		}
		if n := fake.IssuedTokens(); n != 2 {
			t.Errorf("%d tokens issued, want 2", n)
		}
		if n := len(fake.Synced()); n != 3 {
			t.Errorf("%d backups synced, want 3", n)
		}
	})
	t.Run("refused again after renewal", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: users})
		fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{Status: 401, ErrorCode: "APIGW.0307", ErrorMsg: "The token must be updated."},
			cbrfake.Fault{Status: 401, ErrorCode: "APIGW.0307", ErrorMsg: "The token must be updated."})
		c := fakeClient(t, url, "", pa)
		_, err := c.SyncBackups(context.Background(), testBackups(1))
		var credErr *CredentialsError
		if !errors.As(err, &credErr) || !credErr.Renewed || credErr.Method != AuthMethodPassword || credErr.Err.Code != "APIGW.0307" {
			t.Fatalf("err = %T %v", err, err)
		}
		if !strings.Contains(err.Error(), "was refused too") {
			t.Errorf("message %q", err)
		}
		if s, n := fake.Count(cbrfake.KindSync), fake.IssuedTokens(); s != 2 || n != 2 {
			t.Errorf("%d syncs and %d tokens, want 2 and 2: exactly one retry", s, n)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: users})
		bad := pa
		bad.Password = "guess"
		c := fakeClient(t, url, "", bad)
		_, err := c.SyncBackups(context.Background(), testBackups(1))
		var authErr *AuthError
		var apiErr *APIError
		if !errors.As(err, &authErr) || authErr.Step != AuthStepToken || !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "IAM.0401" {
			t.Fatalf("err = %T %v", err, err)
		}
		if !strings.Contains(err.Error(), `unable to get an IAM token for user "deployer" of domain "acme" scoped to project "cn-north-4"`) {
			t.Errorf("message %q", err)
		}
		if strings.Contains(err.Error(), "guess") {
			t.Error("the password is in the error")
		}
		if MaybeApplied(err) || fake.Count(cbrfake.KindSync) != 0 {
			t.Error("nothing may be sent to CBR without a token")
		}
	})
	t.Run("IAM clock two hours behind", func(t *testing.T) {
		// expires_at is in the past by the local clock, but the token's
		// lifetime (expires_at - issued_at) is one hour: it is used, not
		// fetched again for every call.
		fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: users, TokenTTL: time.Hour,
			Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }})
		c := fakeClient(t, url, "", pa)
		for i := 0; i < 2; i++ {
			syncOne(t, c)
		}
		if n := fake.IssuedTokens(); n != 1 {
			t.Errorf("%d tokens issued, want 1", n)
		}
	})
	t.Run("renewed before expiry", func(t *testing.T) {
		clock := cbrfake.NewClock(time.Now())
		fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: users, TokenTTL: time.Hour, Now: clock.Now})
		timed := pa
		timed.Now = clock.Now
		c := fakeClient(t, url, "", timed)
		syncOne(t, c)
		clock.Advance(54 * time.Minute)
		syncOne(t, c)
		if n := fake.IssuedTokens(); n != 1 {
			t.Fatalf("after 54 minutes: %d tokens, want 1", n)
		}
		clock.Advance(2 * time.Minute) // 4 minutes left: renewed before it is refused
		syncOne(t, c)
		if n := fake.IssuedTokens(); n != 2 {
			t.Fatalf("after 56 minutes: %d tokens, want 2", n)
		}
		for _, r := range requestsOf(fake, cbrfake.KindSync) {
			if r.Status != 200 {
				t.Errorf("a sync got %d: the token should have been renewed before it expired", r.Status)
			}
		}
	})
	t.Run("password never in errors of the token answer", func(t *testing.T) {
		srv := http.NewServeMux()
		srv.HandleFunc("/v3/auth/tokens", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"token":{"expires_at":"2099-01-01T00:00:00.000000Z","issued_at":"2098-12-31T00:00:00.000000Z","project":{"id":""}}}`)
		})
		url := startHandler(t, srv)
		c := fakeClient(t, url, "", pa)
		_, err := c.SyncBackups(context.Background(), testBackups(1))
		if err == nil || !strings.Contains(err.Error(), "the answer has no X-Subject-Token header") || strings.Contains(err.Error(), testUser.Password) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestTokenSource(t *testing.T) {
	clock := cbrfake.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

	var fetches atomic.Int32
	var fail atomic.Bool
	release := make(chan struct{})
	close(release)
	var gate atomic.Pointer[chan struct{}]
	gate.Store(&release)
	ts := newTokenSource(func(ctx context.Context) (*iamToken, error) {
		<-*gate.Load()
		n := fetches.Add(1)
		if fail.Load() {
			return nil, errors.New("IAM is down")
		}
		start := clock.Now()
		return &iamToken{value: fmt.Sprintf("tok-%d", n), renewAt: renewTime(start, 24*time.Hour), expiresAt: start.Add(24 * time.Hour)}, nil
	}, clock.Now)
	get := func() string {
		t.Helper()
		tok, err := ts.token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return tok.value
	}

	if a, b := get(), get(); a != "tok-1" || b != "tok-1" {
		t.Fatalf("tokens %s, %s: want the cached tok-1 twice", a, b)
	}
	clock.Advance(23*time.Hour + 54*time.Minute)
	if got := get(); got != "tok-1" {
		t.Errorf("6 minutes before expiry: %s, want tok-1", got)
	}
	clock.Advance(2 * time.Minute)
	if got := get(); got != "tok-2" {
		t.Errorf("4 minutes before expiry: %s, want a new token", got)
	}

	// invalidate only drops the token it names.
	ts.invalidate("tok-1")
	if got := get(); got != "tok-2" {
		t.Errorf("after invalidating an old token: %s, want tok-2", got)
	}
	ts.invalidate("tok-2")
	if got := get(); got != "tok-3" {
		t.Errorf("after invalidating the current token: %s, want tok-3", got)
	}

	// A failed fetch is not cached.
	ts.invalidate("tok-3")
	fail.Store(true)
	if _, err := ts.token(context.Background()); err == nil || err.Error() != "IAM is down" {
		t.Fatalf("err = %v", err)
	}
	fail.Store(false)
	if got := get(); got != "tok-5" {
		t.Errorf("after a failure: %s, want tok-5", got)
	}

	// Concurrent callers wait for one fetch.
	ts.invalidate("tok-5")
	blocked := make(chan struct{})
	gate.Store(&blocked)
	before := fetches.Load()
	var wg sync.WaitGroup
	got := make(chan string, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := ts.token(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			got <- tok.value
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(blocked)
	wg.Wait()
	close(got)
	for v := range got {
		if v != "tok-6" {
			t.Errorf("a caller got %s, want tok-6", v)
		}
	}
	if n := fetches.Load() - before; n != 1 {
		t.Errorf("%d fetches for 50 concurrent callers, want 1", n)
	}

	// A caller that gives up does not cancel the fetch for the others.
	ts.invalidate("tok-6")
	blocked2 := make(chan struct{})
	gate.Store(&blocked2)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := ts.token(ctx); errc <- err }()
	time.Sleep(20 * time.Millisecond)
	other := make(chan string, 1)
	go func() { other <- get() }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", err)
	}
	close(blocked2)
	if v := <-other; v != "tok-7" {
		t.Errorf("the other caller got %s, want tok-7", v)
	}
}

func TestRenewTime(t *testing.T) {
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		lifetime, want time.Duration
	}{
		{24 * time.Hour, 24*time.Hour - 5*time.Minute},
		{time.Hour, 55 * time.Minute},
		{2 * time.Minute, time.Minute},
		{time.Second, 500 * time.Millisecond},
	} {
		if got := renewTime(issued, tc.lifetime).Sub(issued); got != tc.want {
			t.Errorf("lifetime %s: renewed after %s, want %s", tc.lifetime, got, tc.want)
		}
	}
}

func TestPasswordAuthOnlyThroughAClient(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://cbr.example.com/", nil)
	if err := (PasswordAuth{UserName: "u", Password: "p", DomainName: "d"}).Authenticate(context.Background(), req, nil); err == nil {
		t.Fatal("no error")
	}
	if req.Header.Get("X-Auth-Token") != "" {
		t.Error("a header was set")
	}
}

func TestNewNeedsIAMWhenItIsUsed(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Endpoint: "https://cbr.example.com", Region: "r", Auth: TokenAuth("t")}, "looking the project ID up needs the IAM endpoint"},
		{Config{Endpoint: "https://cbr.example.com", ProjectID: "p", Auth: PasswordAuth{UserName: "u", Password: "p", DomainName: "d"}}, "password authentication needs the IAM endpoint"},
		{Config{Endpoint: "https://cbr.example.com", IAMEndpoint: "https://iam.example.com/v3", Auth: TokenAuth("t")}, "a project ID, or a region to look it up by, is required"},
		{Config{Endpoint: "https://cbr.example.com", IAMEndpoint: "iam.example.com", Region: "r", Auth: TokenAuth("t")}, `invalid IAM endpoint "iam.example.com"`},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	// With a project ID and static credentials, IAM is not needed.
	if _, err := New(Config{Endpoint: "https://cbr.example.com", ProjectID: "p", Auth: AKSKAuth{AccessKey: "a", SecretKey: "s"}}); err != nil {
		t.Error(err)
	}
}
