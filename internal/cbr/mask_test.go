package cbr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// TestErrorsMaskEchoedSecrets: an API that repeats the credentials it was
// sent in its error answers (as some gateways do) never gets them into the
// client's errors, whatever the credential kind and the error's shape.
func TestErrorsMaskEchoedSecrets(t *testing.T) {
	const token = "tok-Echo-8f2a-secret"
	aksk := AKSKAuth{AccessKey: testAK, SecretKey: testSK, SecurityToken: testST}
	for _, tc := range []struct {
		name    string
		auth    Authenticator
		secrets []string
		// answer writes an error answer that repeats text.
		status int
		answer func(w http.ResponseWriter, text string)
	}{
		{"token in error_msg", TokenAuth(token), []string{token}, 401, jsonMsg},
		{"token in a body that is not JSON", TokenAuth(token), []string{token}, 502, plainText},
		{"token in a 2xx answer that cannot be read", TokenAuth(token), []string{token}, 200, plainText},
		{"secret key and security token in error_msg", aksk, []string{testSK, testST}, 400, jsonMsg},
		{"password in a body that is not JSON", TokenAuth(token), []string{token, testUser.Password}, 403, plainText},
	} {
		t.Run(tc.name, func(t *testing.T) {
			echoed := strings.Join(tc.secrets, " and ")
			url := startHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-Id", "rid-"+strings.Repeat("a", 28))
				w.WriteHeader(tc.status)
				tc.answer(w, "refused "+echoed)
			}))
			c := newClient(t, Config{Endpoint: url, ProjectID: testProject, Auth: tc.auth, Secrets: tc.secrets})
			_, err := c.SyncBackups(context.Background(), testBackups(1))
			if err == nil {
				t.Fatal("no error")
			}
			text := err.Error()
			for _, s := range tc.secrets {
				if strings.Contains(text, s) {
					t.Errorf("the error holds the secret %q: %s", s, text)
				}
			}
			if !strings.Contains(text, "refused "+Redacted) {
				t.Errorf("the error does not show the masked text: %s", text)
			}
			// The fields the provider shows one by one are masked too.
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				for _, s := range tc.secrets {
					if strings.Contains(apiErr.Message+apiErr.Body+apiErr.Code, s) {
						t.Errorf("APIError fields hold the secret %q: %+v", s, apiErr)
					}
				}
			}
			var respErr *ResponseError
			if errors.As(err, &respErr) && strings.Contains(respErr.Body, tc.secrets[0]) {
				t.Errorf("ResponseError body holds the secret: %q", respErr.Body)
			}
			if tc.status == 401 {
				var credErr *CredentialsError
				if !errors.As(err, &credErr) || credErr.Method != AuthMethodToken {
					t.Errorf("got %T %v, want a *CredentialsError of the token", err, err)
				}
			}
			if got, want := MaybeApplied(err), tc.status == 200 || tc.status == 502; got != want {
				t.Errorf("MaybeApplied = %v, want %v", got, want)
			}
		})
	}
}

func jsonMsg(w http.ResponseWriter, text string) {
	_ = json.NewEncoder(w).Encode(map[string]string{"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information: " + text})
}

func plainText(w http.ResponseWriter, text string) { fmt.Fprint(w, "<html>"+text+"</html>") }

// TestErrorsMaskTheIAMToken: the token obtained with a password is masked
// like the configured secrets, in the errors of the call that refused it.
func TestErrorsMaskTheIAMToken(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: []cbrfake.User{testUser}})
	// The first token is refused, and so is the renewed one: both echoed.
	fake.InjectFault(cbrfake.KindSync,
		cbrfake.Fault{Status: 401, EchoAuthToken: true},
		cbrfake.Fault{Status: 401, EchoAuthToken: true})
	c := newClient(t, Config{Endpoint: url, IAMEndpoint: url + "/v3", Region: cbrfake.DefaultRegion, ProjectID: cbrfake.DefaultProjectID,
		Auth: PasswordAuth{UserName: testUser.Name, Password: testUser.Password, DomainName: testUser.Domain}, Secrets: []string{testUser.Password}})
	_, err := c.SyncBackups(context.Background(), testBackups(1))
	var credErr *CredentialsError
	if !errors.As(err, &credErr) || !credErr.Renewed {
		t.Fatalf("got %T %v, want a *CredentialsError after renewal", err, err)
	}
	syncs := requestsOf(fake, cbrfake.KindSync)
	if len(syncs) != 2 {
		t.Fatalf("%d sync requests, want 2", len(syncs))
	}
	for _, r := range syncs {
		tok := r.Header.Get("X-Auth-Token")
		if tok == "" {
			t.Fatal("a sync request without a token")
		}
		if strings.Contains(err.Error(), tok) || strings.Contains(credErr.Err.Message, tok) {
			t.Errorf("the error holds the IAM token: %v", err)
		}
	}
	if !strings.Contains(credErr.Err.Message, "token "+Redacted) {
		t.Errorf("error_msg %q does not show the masked token", credErr.Err.Message)
	}
}

// TestMaskErrorKeepsTheChain: masking copies the errors of this package
// (never changing the original, which may be shared) and keeps what
// errors.Is and errors.As find.
func TestMaskErrorKeepsTheChain(t *testing.T) {
	const secret = "pw-Zz9"
	m := newMasker([]string{secret, "", "*"})
	inner := &TransportError{Method: "POST", URL: "https://cbr.example.com/x", Err: fmt.Errorf("proxy said %s: %w", secret, context.Canceled), Sent: true}
	orig := &RetryError{Attempts: 2, Reason: "max_retries (1) reached", Err: fmt.Errorf("wrapped: %w", inner)}
	got := maskError(orig, m)
	if strings.Contains(got.Error(), secret) || !strings.Contains(got.Error(), "proxy said ***: context canceled") {
		t.Errorf("masked error: %v", got)
	}
	if !strings.Contains(orig.Error(), secret) {
		t.Error("the original error was changed")
	}
	var tErr *TransportError
	if !errors.As(got, &tErr) || !tErr.Sent || strings.Contains(tErr.Err.Error(), secret) {
		t.Errorf("errors.As finds %+v", tErr)
	}
	if !errors.Is(got, context.Canceled) || !MaybeApplied(got) {
		t.Error("the chain lost context.Canceled or the sent request")
	}
	// Idempotent: masking a masked error changes nothing ("*" is ignored).
	if again := maskError(got, m); again.Error() != got.Error() {
		t.Errorf("masking twice: %q then %q", got, again)
	}
	// Longest first: a secret inside another is masked with it.
	m2 := newMasker([]string{"abc", "abcdef"})
	if s := m2.text("x abcdef y abc"); s != "x *** y ***" {
		t.Errorf("masked %q", s)
	}
	if maskError(nil, m) != nil || maskError(context.Canceled, nil) != context.Canceled {
		t.Error("nil error or no secrets must pass through")
	}
}

// TestAnswerOverTheReadLimit: an answer larger than the read limit is
// reported as such, not as the JSON error of the part that was read; the
// sync may have been applied, and a read is not retried for it.
func TestAnswerOverTheReadLimit(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{})
	fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{OversizeBody: maxResponseBytes + 1})
	c := fakeClient(t, url, cbrfake.DefaultProjectID, TokenAuth(cbrfake.DefaultToken))
	_, err := c.SyncBackups(context.Background(), testBackups(2))
	var respErr *ResponseError
	if !errors.As(err, &respErr) || respErr.StatusCode != 200 {
		t.Fatalf("got %T %v, want a *ResponseError of a 200 answer", err, err)
	}
	if !strings.Contains(err.Error(), "the answer is larger than the 4 MiB read limit and was not read") || strings.Contains(err.Error(), "unexpected end of JSON input") {
		t.Errorf("error: %.300s", err)
	}
	if !MaybeApplied(err) || len(fake.Synced()) != 2 {
		t.Errorf("MaybeApplied = %v with %d backups applied", MaybeApplied(err), len(fake.Synced()))
	}

	// An answer exactly at the limit is read.
	fake2, url2 := startFake(t, cbrfake.Options{})
	fake2.InjectFault(cbrfake.KindSync, cbrfake.Fault{OversizeBody: maxResponseBytes})
	c2 := fakeClient(t, url2, cbrfake.DefaultProjectID, TokenAuth(cbrfake.DefaultToken))
	if ids, err := c2.SyncBackups(context.Background(), testBackups(2)); err != nil || len(ids) != 2 {
		t.Fatalf("an answer at the limit: %v, %d ids", err, len(ids))
	}

	// An error answer over the limit, and no retry of a read.
	url3 := startHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "rid-big")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(strings.Repeat(" ", maxResponseBytes+10) + `{"error_code":"X","error_msg":"y"}`))
	}))
	c3 := newClient(t, Config{Endpoint: url3, ProjectID: testProject, Auth: TokenAuth("t"), MaxRetries: 3})
	_, err = c3.GetOperationLog(context.Background(), "op-1")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Body, "larger than the 4 MiB read limit") {
		t.Errorf("got %T %v", err, err)
	}
	var retryErr *RetryError
	if errors.As(err, &retryErr) {
		t.Errorf("a 400 was retried: %v", err)
	}
	if !retryable(http.MethodGet, &ResponseError{StatusCode: 200, Err: errors.New("x")}) || retryable(http.MethodGet, &ResponseError{StatusCode: 200, Err: errAnswerTooLarge}) {
		t.Error("a too large answer must not be retried; another unreadable read must")
	}
}

// TestParseEndpointMissingColon: "https://http//host" (what "http//host"
// becomes with a default scheme) is refused instead of calling a host
// named "http".
func TestParseEndpointMissingColon(t *testing.T) {
	for _, ep := range []string{"https://http//127.0.0.1:39793", "https://HTTPS//cbr.example.com/"} {
		if _, err := ParseEndpoint(ep); err == nil || !strings.Contains(err.Error(), "followed by \"//\": the colon of") {
			t.Errorf("%s: %v", ep, err)
		}
	}
	if _, err := ParseEndpoint("https://http.example.com//x"); err != nil {
		t.Errorf("a host that merely starts with http: %v", err)
	}
}

// TestMaskErrorIncompleteSync: every list of an incomplete sync answer's
// error is masked, the conflicting backups included.
func TestMaskErrorIncompleteSync(t *testing.T) {
	const secret = "s3cr3t-value"
	err := &IncompleteSyncError{Missing: []string{"a-" + secret}, Conflicting: []string{"b-" + secret}, Unexpected: []string{"c-" + secret}, Requested: 2, RequestID: "r-" + secret}
	masked := maskError(err, newMasker([]string{secret}))
	if strings.Contains(masked.Error(), secret) {
		t.Fatalf("secret in %q", masked.Error())
	}
	var inc *IncompleteSyncError
	if !errors.As(masked, &inc) || inc.Conflicting[0] != "b-"+Redacted {
		t.Fatalf("masked error %#v", masked)
	}
	if err.Conflicting[0] != "b-"+secret {
		t.Fatal("the original error was changed")
	}
}
