package cbrfake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"
)

func TestRouting(t *testing.T) {
	s, base := newStarted(t, Options{})
	r := do(t, http.MethodGet, base+"/v3/"+DefaultProjectID+"/vaults", nil, tokenHeaders())
	wantError(t, r, http.StatusNotFound, "APIGW.0101", "The API does not exist or has not been published in the environment")
	r2 := do(t, http.MethodPost, base+syncPath(DefaultProjectID)+"/", syncBody(entry(0)), tokenHeaders())
	wantError(t, r2, http.StatusNotFound, "APIGW.0101", "does not exist")
	r3 := do(t, http.MethodGet, base+syncPath(DefaultProjectID), nil, tokenHeaders())
	wantError(t, r3, http.StatusMethodNotAllowed, "APIGW.0101", "method GET is not allowed")
	if a := r3.header.Get("Allow"); a != http.MethodPost {
		t.Errorf("Allow = %q", a)
	}
	r4 := do(t, http.MethodPost, base+opLogPath(DefaultProjectID, "x"), nil, tokenHeaders())
	wantError(t, r4, http.StatusMethodNotAllowed, "APIGW.0101", "method POST is not allowed")
	r5 := do(t, http.MethodDelete, base+"/v3/auth/tokens", nil, nil)
	wantError(t, r5, http.StatusMethodNotAllowed, "APIGW.0101", "DELETE")
	r6 := do(t, http.MethodPost, base+"/v3/projects", nil, tokenHeaders())
	wantError(t, r6, http.StatusMethodNotAllowed, "APIGW.0101", "POST")

	ids := map[string]bool{}
	for _, x := range []result{r, r2, r3, r4, r5, r6} {
		ids[x.header.Get("X-Request-Id")] = true
	}
	if len(ids) != 6 {
		t.Errorf("request ids not unique: %v", ids)
	}
	if n := s.Count(KindOther); n != 6 {
		t.Errorf("Count(other) = %d", n)
	}
}

func TestTokenAuthRejections(t *testing.T) {
	_, base := newStarted(t, Options{})
	u := base + syncPath(DefaultProjectID)
	body := syncBody(entry(0))
	wantError(t, do(t, http.MethodPost, u, body, map[string]string{"Content-Type": "application/json"}),
		401, "APIGW.0301", "Incorrect IAM authentication information: Authorization header or X-Auth-Token is required")
	wantError(t, do(t, http.MethodPost, u, body, map[string]string{"Content-Type": "application/json", "X-Auth-Token": "nope"}),
		401, "APIGW.0301", "Incorrect IAM authentication information: verify token failed")
	wantError(t, do(t, http.MethodPost, u, body, map[string]string{"Content-Type": "application/json", "X-Auth-Token": ""}),
		401, "APIGW.0301", "verify token failed")
	wantError(t, do(t, http.MethodGet, base+opLogPath(DefaultProjectID, "x"), nil, map[string]string{"X-Auth-Token": "nope"}),
		401, "APIGW.0301", "verify token failed")
	wantError(t, do(t, http.MethodGet, base+"/v3/projects?name=cn-north-4", nil, nil),
		401, "APIGW.0301", "Authorization header or X-Auth-Token is required")
}

func TestNoStaticTokens(t *testing.T) {
	_, base := newStarted(t, Options{Tokens: []string{}})
	wantError(t, postSync(t, base, syncBody(entry(0))), 401, "APIGW.0301", "verify token failed")
}

func signedSyncSpec(body any) signSpec {
	return signSpec{
		method: http.MethodPost,
		path:   syncPath(DefaultProjectID),
		headers: map[string]string{
			"Content-Type": "application/json;charset=UTF-8",
			"X-Project-Id": DefaultProjectID,
			"User-Agent":   "huaweicloud-usdk-go/3.0",
			"X-Sdk-Date":   sdkDate(fixedNow),
		},
		body: body,
	}
}

func akOpts() Options {
	return Options{
		AccessKeys: map[string]string{testAK: testSK, "TEMPAK": "temp-sk"},
		SecurityTokens: map[string]string{
			"TEMPAK": "security-token-value",
		},
		Now: newClock(fixedNow).Now,
	}
}

func TestSignatureAccepted(t *testing.T) {
	opts := akOpts()
	opts.ListProjects = true
	s, base := newStarted(t, opts)
	// Body as a model struct: the SDK JSON-encodes it (with a trailing newline).
	req := signedRequest(t, base, signedSyncSpec(&model.BackupSyncReq{Sync: []model.BackupSync{{
		BackupId: "b-1", BackupName: "n", BucketName: "bk", ImagePath: "p", ResourceId: "r", ResourceName: "rn",
		ResourceType: "OS::Native::Server", CreatedAt: 1553587260,
	}}}))
	decodeSyncAnswer(t, send(t, http.DefaultClient, req))

	// Body as exact bytes.
	req = signedRequest(t, base, signedSyncSpec(string(syncBody(entry(1)))))
	items := decodeSyncAnswer(t, send(t, http.DefaultClient, req))

	// GET with no body and a signed Host header.
	sp := signSpec{method: http.MethodGet, path: opLogPath(DefaultProjectID, items[0].OperationLogID),
		headers: map[string]string{"X-Sdk-Date": sdkDate(fixedNow.Add(-14 * time.Minute)), "Host": strings.TrimPrefix(base, "http://")}}
	r := send(t, http.DefaultClient, signedRequest(t, base, sp))
	if r.status != 200 {
		t.Fatalf("op log: %d %s", r.status, r.body)
	}

	// Temporary credentials.
	sp = signedSyncSpec(string(syncBody(entry(2))))
	sp.ak, sp.sk = "TEMPAK", "temp-sk"
	sp.headers["X-Security-Token"] = "security-token-value"
	decodeSyncAnswer(t, send(t, http.DefaultClient, signedRequest(t, base, sp)))

	// A correct explicit content hash is accepted.
	b3 := string(syncBody(entry(3)))
	sum := sha256.Sum256([]byte(b3))
	sp = signedSyncSpec(b3)
	sp.headers["X-Sdk-Content-Sha256"] = hex.EncodeToString(sum[:])
	decodeSyncAnswer(t, send(t, http.DefaultClient, signedRequest(t, base, sp)))

	// Query parameters are signed too.
	sp = signSpec{method: http.MethodGet, path: "/v3/projects", query: map[string]string{"name": DefaultRegion, "enabled": "true"},
		headers: map[string]string{"X-Sdk-Date": sdkDate(fixedNow)}}
	r = send(t, http.DefaultClient, signedRequest(t, base, sp))
	if r.status != 200 {
		t.Fatalf("projects: %d %s", r.status, r.body)
	}
	if n := len(s.Synced()); n != 4 {
		t.Errorf("Synced() = %d", n)
	}
}

// TestSignatureTampering builds correctly signed sync requests, changes one
// thing in each and expects a 401 saying what failed.
func TestSignatureTampering(t *testing.T) {
	s, base := newStarted(t, akOpts())
	body := string(syncBody(entry(0)))

	type mod func(t *testing.T, sp *signSpec) *http.Request
	resign := func(f func(sp *signSpec)) mod {
		return func(t *testing.T, sp *signSpec) *http.Request {
			f(sp)
			return signedRequest(t, base, *sp)
		}
	}
	after := func(f func(r *http.Request)) mod {
		return func(t *testing.T, sp *signSpec) *http.Request {
			r := signedRequest(t, base, *sp)
			f(r)
			return r
		}
	}
	setBody := func(r *http.Request, b string) {
		r.Body = io.NopCloser(strings.NewReader(b))
		r.ContentLength = int64(len(b))
	}

	cases := []struct {
		name string
		mod  mod
		msg  string
	}{
		{"body changed", after(func(r *http.Request) { setBody(r, strings.Replace(body, "vm-01", "vm-02", 1)) }), "signature mismatch"},
		{"body whitespace", after(func(r *http.Request) { setBody(r, body+" ") }), "signature mismatch"},
		{"path changed", after(func(r *http.Request) { r.URL.Path = opLogPath(DefaultProjectID, "x"); r.Method = http.MethodGet }), "signature mismatch"},
		{"query added", after(func(r *http.Request) { r.URL.RawQuery = "a=b" }), "signature mismatch"},
		{"method changed", after(func(r *http.Request) { r.Method = http.MethodPut; r.URL.Path = syncPath(DefaultProjectID) }), "method PUT is not allowed"},
		{"date changed by 1s", after(func(r *http.Request) { r.Header.Set("X-Sdk-Date", sdkDate(fixedNow.Add(time.Second))) }), "signature mismatch"},
		{"signed header changed", after(func(r *http.Request) { r.Header.Set("User-Agent", "other") }), "signature mismatch"},
		{"signed header removed", after(func(r *http.Request) { r.Header.Del("X-Project-Id") }), `signed header "x-project-id" is missing`},
		{"signed header repeated", after(func(r *http.Request) { r.Header.Add("X-Project-Id", DefaultProjectID) }), `signed header "x-project-id" is missing or repeated`},
		{"wrong secret key", resign(func(sp *signSpec) { sp.ak, sp.sk = testAK, "wrong" }), "signature mismatch"},
		{"unknown access key", resign(func(sp *signSpec) { sp.ak, sp.sk = "UNKNOWNAK", testSK }), "unknown access key"},
		{"date too old", resign(func(sp *signSpec) { sp.headers["X-Sdk-Date"] = sdkDate(fixedNow.Add(-16 * time.Minute)) }), "differs from the server time"},
		{"date in the future", resign(func(sp *signSpec) { sp.headers["X-Sdk-Date"] = sdkDate(fixedNow.Add(16 * time.Minute)) }), "differs from the server time"},
		{"date missing", after(func(r *http.Request) { r.Header.Del("X-Sdk-Date") }), "exactly one X-Sdk-Date header is required"},
		{"date unparseable", after(func(r *http.Request) { r.Header.Set("X-Sdk-Date", "2026-03-14T09:26:53Z") }), "is not in format 20060102T150405Z"},
		{"date not signed", after(func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-sdk-date", "", 1))
		}), "x-sdk-date must be a signed header"},
		{"signed headers not sorted", after(func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "user-agent;x-project-id", "x-project-id;user-agent", 1))
		}), "SignedHeaders must be"},
		{"content-type signed", after(func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SignedHeaders=", "SignedHeaders=content-type;", 1))
		}), "cannot be signed as sent"},
		{"signature altered", after(func(r *http.Request) {
			a := r.Header.Get("Authorization")
			last := a[len(a)-1]
			repl := byte('0')
			if last == '0' {
				repl = '1'
			}
			r.Header.Set("Authorization", a[:len(a)-1]+string(repl))
		}), "signature mismatch"},
		{"signature uppercase", after(func(r *http.Request) {
			a := r.Header.Get("Authorization")
			i := strings.Index(a, "Signature=") + len("Signature=")
			r.Header.Set("Authorization", a[:i]+strings.ToUpper(a[i:]))
		}), "Signature must be 64 lower-case hex"},
		{"unsupported algorithm", after(func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SDK-HMAC-SHA256", "SDK-HMAC-SM3", 1))
		}), `unsupported signing algorithm "SDK-HMAC-SM3"`},
		{"malformed authorization", after(func(r *http.Request) { r.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=AK") }), "malformed Authorization header"},
		{"bearer", after(func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") }), `unsupported signing algorithm "Bearer"`},
		{"project header mismatch", resign(func(sp *signSpec) { sp.headers["X-Project-Id"] = "ffffffffffffffffffffffffffffffff" }),
			`X-Project-Id header "ffffffffffffffffffffffffffffffff" does not match project_id "` + DefaultProjectID + `"`},
		{"security token with permanent key", resign(func(sp *signSpec) { sp.headers["X-Security-Token"] = "security-token-value" }),
			"X-Security-Token must not be sent with a permanent access key"},
		{"temporary key without security token", resign(func(sp *signSpec) { sp.ak, sp.sk = "TEMPAK", "temp-sk" }),
			"X-Security-Token is missing or invalid"},
		{"temporary key wrong security token", resign(func(sp *signSpec) {
			sp.ak, sp.sk = "TEMPAK", "temp-sk"
			sp.headers["X-Security-Token"] = "other"
		}), "X-Security-Token is missing or invalid"},
		{"security token not signed", func(t *testing.T, sp *signSpec) *http.Request {
			sp.ak, sp.sk = "TEMPAK", "temp-sk"
			r := signedRequest(t, base, *sp)
			r.Header.Set("X-Security-Token", "security-token-value")
			return r
		}, "x-security-token must be a signed header"},
		{"security token changed after signing", func(t *testing.T, sp *signSpec) *http.Request {
			sp.ak, sp.sk = "TEMPAK", "temp-sk"
			sp.headers["X-Security-Token"] = "security-token-value"
			r := signedRequest(t, base, *sp)
			r.Header.Set("X-Security-Token", "security-token-valuX")
			return r
		}, "X-Security-Token is missing or invalid"},
		{"unsigned payload", resign(func(sp *signSpec) { sp.headers["X-Sdk-Content-Sha256"] = "UNSIGNED-PAYLOAD" }), "unsigned payload is not accepted"},
		{"content hash mismatch", resign(func(sp *signSpec) {
			sp.headers["X-Sdk-Content-Sha256"] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
		}), "X-Sdk-Content-Sha256 does not match the request body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sp := signedSyncSpec(body)
			r := send(t, http.DefaultClient, tc.mod(t, &sp))
			status, code := 401, "APIGW.0301"
			if strings.Contains(tc.msg, "not allowed") {
				status, code = 405, "APIGW.0101"
			}
			wantError(t, r, status, code, tc.msg)
		})
	}
	if n := len(s.Synced()); n != 0 {
		t.Errorf("tampered requests were applied: %d", n)
	}

	// Control: the untampered request passes, also with a correct content hash.
	sp := signedSyncSpec(body)
	decodeSyncAnswer(t, send(t, http.DefaultClient, signedRequest(t, base, sp)))
}

func TestSignatureQueryTampering(t *testing.T) {
	_, base := newStarted(t, akOpts())
	sp := signSpec{method: http.MethodGet, path: "/v3/projects", query: map[string]string{"name": DefaultRegion},
		headers: map[string]string{"X-Sdk-Date": sdkDate(fixedNow)}}
	r := signedRequest(t, base, sp)
	r.URL.RawQuery = "name=ap-southeast-1"
	wantError(t, send(t, http.DefaultClient, r), 401, "APIGW.0301", "signature mismatch")
	r = signedRequest(t, base, sp)
	r.URL.RawQuery = "name=%zz"
	wantError(t, send(t, http.DefaultClient, r), 401, "APIGW.0301", "malformed query string")
}

func TestTokenTakesPrecedenceOverSignature(t *testing.T) {
	_, base := newStarted(t, akOpts())
	sp := signedSyncSpec(string(syncBody(entry(0))))
	r := signedRequest(t, base, sp)
	r.Header.Set("X-Auth-Token", "bogus")
	wantError(t, send(t, http.DefaultClient, r), 401, "APIGW.0301", "verify token failed")
}

func TestVerifySignatureDirect(t *testing.T) {
	// ServeHTTP works without a network listener too; the Host is part of
	// nothing signed here, so any host name verifies.
	s := New(akOpts())
	sp := signedSyncSpec(string(syncBody(entry(0))))
	req := signedRequest(t, "http://cbr.example.com", sp)
	body, _ := io.ReadAll(req.Body)
	sreq := httptest.NewRequest(req.Method, req.URL.String(), bytes.NewReader(body))
	sreq.Header = req.Header.Clone()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, sreq)
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	if len(s.Synced()) != 1 {
		t.Error("not applied")
	}
}
