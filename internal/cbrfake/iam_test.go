package cbrfake

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

var testUser = User{Domain: "acme", Name: "alice", Password: "s3cret-Passw0rd"}

func tokenRequestBody(user, password, domain string, scope map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{
			"methods": []string{"password"},
			"password": map[string]any{"user": map[string]any{
				"name": user, "password": password, "domain": map[string]any{"name": domain},
			}},
		},
		"scope": map[string]any{"project": scope},
	}})
	return b
}

func postToken(t *testing.T, base string, body []byte) result {
	t.Helper()
	return do(t, http.MethodPost, base+"/v3/auth/tokens", body, map[string]string{"Content-Type": "application/json;charset=utf8"})
}

// wantIAMError checks an IAM error: Keystone "error" object plus error_code/error_msg.
func wantIAMError(t *testing.T, r result, status int, code, msgPart string) {
	t.Helper()
	wantError(t, r, status, code, msgPart)
	var e iamErrorBody
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Error.Code != status || e.Error.Title != http.StatusText(status) || !strings.Contains(e.Error.Message, msgPart) {
		t.Errorf("error object = %+v", e.Error)
	}
}

func TestIAMTokenFlow(t *testing.T) {
	clk := newClock(fixedNow)
	s, base := newStarted(t, Options{Users: []User{testUser}, Tokens: []string{}, TokenTTL: time.Hour, Now: clk.Now})

	r := postToken(t, base, tokenRequestBody("alice", testUser.Password, "acme", map[string]any{"name": DefaultRegion}))
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	tok := r.header.Get("X-Subject-Token")
	if tok == "" || strings.Contains(string(r.body), tok) {
		t.Fatalf("X-Subject-Token %q (must be set and only in the header)", tok)
	}
	if !requestIDRe.MatchString(r.header.Get("X-Request-Id")) {
		t.Error("no X-Request-Id")
	}
	var env tokenEnvelope
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatal(err)
	}
	tb := env.Token
	if tb.ExpiresAt != "2026-03-14T10:26:53.589Z" || tb.IssuedAt != "2026-03-14T09:26:53.589Z" {
		t.Errorf("expires_at %q issued_at %q", tb.ExpiresAt, tb.IssuedAt)
	}
	if tb.Project.ID != DefaultProjectID || tb.Project.Name != DefaultRegion || tb.Project.Domain.Name != "acme" ||
		tb.User.Name != "alice" || tb.User.Domain.Name != "acme" || len(tb.Methods) != 1 || tb.Methods[0] != "password" {
		t.Errorf("token body %+v", tb)
	}
	if s.IssuedTokens() != 1 || s.Count(KindIAMToken) != 1 {
		t.Errorf("IssuedTokens %d Count %d", s.IssuedTokens(), s.Count(KindIAMToken))
	}

	h := map[string]string{"X-Auth-Token": tok, "Content-Type": "application/json"}
	decodeSyncAnswer(t, do(t, http.MethodPost, base+syncPath(DefaultProjectID), syncBody(entry(0)), h))

	// Expiry by the clock.
	clk.Advance(59 * time.Minute)
	decodeSyncAnswer(t, do(t, http.MethodPost, base+syncPath(DefaultProjectID), syncBody(entry(1)), h))
	clk.Advance(time.Minute)
	wantError(t, do(t, http.MethodPost, base+syncPath(DefaultProjectID), syncBody(entry(2)), h),
		401, "APIGW.0307", "The token must be updated.")

	// Expiry forced by ExpireTokens.
	r = postToken(t, base, tokenRequestBody("alice", testUser.Password, "acme", map[string]any{"id": DefaultProjectID}))
	if r.status != 201 {
		t.Fatalf("scope by id: %d %s", r.status, r.body)
	}
	tok2 := r.header.Get("X-Subject-Token")
	if tok2 == tok {
		t.Fatal("token reused")
	}
	h["X-Auth-Token"] = tok2
	decodeSyncAnswer(t, do(t, http.MethodPost, base+syncPath(DefaultProjectID), syncBody(entry(3)), h))
	s.ExpireTokens()
	wantError(t, do(t, http.MethodGet, base+"/v3/projects", nil, h), 401, "APIGW.0307", "The token must be updated.")
	wantError(t, do(t, http.MethodPost, base+syncPath(DefaultProjectID), syncBody(entry(4)), h), 401, "APIGW.0307", "")

	// Tokens issued afterwards work.
	r = postToken(t, base, tokenRequestBody("alice", testUser.Password, "acme", map[string]any{"name": DefaultRegion}))
	h["X-Auth-Token"] = r.header.Get("X-Subject-Token")
	decodeSyncAnswer(t, do(t, http.MethodPost, base+syncPath(DefaultProjectID), syncBody(entry(5)), h))
	if s.IssuedTokens() != 3 {
		t.Errorf("IssuedTokens = %d", s.IssuedTokens())
	}
}

func TestIAMTokenScopedToOtherProject(t *testing.T) {
	_, base := newStarted(t, Options{Users: []User{testUser}})
	r := postToken(t, base, tokenRequestBody("alice", testUser.Password, "acme", map[string]any{"name": "ap-southeast-1"}))
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var env tokenEnvelope
	_ = json.Unmarshal(r.body, &env)
	h := map[string]string{"X-Auth-Token": r.header.Get("X-Subject-Token"), "Content-Type": "application/json"}
	wantError(t, do(t, http.MethodPost, base+syncPath(DefaultProjectID), syncBody(entry(0)), h),
		403, "BackupService.0006", "the token is scoped to project "+env.Token.Project.ID)
	wantError(t, do(t, http.MethodPost, base+syncPath(env.Token.Project.ID), syncBody(entry(0)), h),
		403, "BackupService.0006", "is not a project of this account in region "+DefaultRegion)
}

func TestIAMTokenRejections(t *testing.T) {
	s, base := newStarted(t, Options{Users: []User{testUser, {Domain: "other", Name: "bob", Password: "pw"}}})
	scope := map[string]any{"name": DefaultRegion}
	wantIAMError(t, postToken(t, base, tokenRequestBody("alice", "wrong", "acme", scope)), 401, "IAM.0401", "The username or password is wrong.")
	wantIAMError(t, postToken(t, base, tokenRequestBody("mallory", testUser.Password, "acme", scope)), 401, "IAM.0401", "The username or password is wrong.")
	wantIAMError(t, postToken(t, base, tokenRequestBody("alice", testUser.Password, "other", scope)), 401, "IAM.0401", "The username or password is wrong.")
	wantIAMError(t, postToken(t, base, tokenRequestBody("alice", testUser.Password, "acme", map[string]any{"name": "xx-nowhere-1"})),
		400, "IAM.0007", `auth.scope.project.name is invalid: project "xx-nowhere-1" does not exist`)
	wantIAMError(t, postToken(t, base, tokenRequestBody("alice", testUser.Password, "acme", map[string]any{"id": "0000"})),
		400, "IAM.0007", `auth.scope.project.id is invalid`)
	// bob's domain is not the account owning the projects.
	wantIAMError(t, postToken(t, base, tokenRequestBody("bob", "pw", "other", scope)), 400, "IAM.0007", "does not exist in the domain of the user")

	good := string(tokenRequestBody("alice", testUser.Password, "acme", scope))
	raw := func(s string) []byte { return []byte(s) }
	cases := []struct {
		name, body, code, msg string
	}{
		{"unknown top field", strings.Replace(good, `{"auth"`, `{"x":1,"auth"`, 1), "IAM.0007", "unknown field x"},
		{"unknown nested field", strings.Replace(good, `"methods"`, `"extra":true,"methods"`, 1), "IAM.0007", "unknown field auth.identity.extra"},
		{"unknown user field", strings.Replace(good, `"name":"alice"`, `"name":"alice","mail":"a@b"`, 1), "IAM.0007", "unknown field auth.identity.password.user.mail"},
		{"wrong type", strings.Replace(good, `"name":"alice"`, `"name":7`, 1), "IAM.0007", "auth.identity.password.user.name must be a string, got integer"},
		{"methods token", strings.Replace(good, `["password"]`, `["token"]`, 1), "IAM.0007", `auth.identity.methods must be ["password"]`},
		{"missing password", strings.Replace(good, `,"password":"s3cret-Passw0rd"`, ``, 1), "1100", "auth.identity.password.user.password is required"},
		{"missing domain", strings.Replace(good, `"domain":{"name":"acme"},`, ``, 1), "1100", "auth.identity.password.user.domain is required"},
		{"missing scope", strings.Replace(good, `,"scope":{"project":{"name":"cn-north-4"}}`, ``, 1), "1100", "auth.scope is required"},
		{"domain scope", strings.Replace(good, `"scope":{"project":{"name":"cn-north-4"}}`, `"scope":{"domain":{"name":"acme"}}`, 1), "IAM.0007", "domain-scoped token"},
		{"project id and name", strings.Replace(good, `{"name":"cn-north-4"}`, `{"name":"cn-north-4","id":"x"}`, 1), "IAM.0007", "either id or name"},
		{"empty body", "", "IAM.0007", "request body is empty"},
		{"trailing data", good + "x", "IAM.0007", "unexpected data after the JSON value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantIAMError(t, postToken(t, base, raw(tc.body)), 400, tc.code, tc.msg)
		})
	}
	r := do(t, http.MethodPost, base+"/v3/auth/tokens", raw(good), map[string]string{"Content-Type": "text/plain"})
	wantIAMError(t, r, 415, "IAM.0007", "unsupported Content-Type")
	if s.IssuedTokens() != 0 {
		t.Errorf("IssuedTokens = %d", s.IssuedTokens())
	}
}

func TestIAMTokenByIDs(t *testing.T) {
	_, base := newStarted(t, Options{Users: []User{testUser}})
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"id": userID(&testUser), "password": testUser.Password}}},
		"scope": map[string]any{"project": map[string]any{"id": DefaultProjectID}},
	}})
	if r := postToken(t, base, body); r.status != 201 {
		t.Fatalf("user id: %d %s", r.status, r.body)
	}
	body = tokenRequestBody("alice", testUser.Password, "", nil)
	body = []byte(strings.Replace(string(body), `{"name":""}`, `{"id":"`+derivedID("domain", "acme")+`"}`, 1))
	body = []byte(strings.Replace(string(body), `"project":null`, `"project":{"name":"cn-north-4"}`, 1))
	if r := postToken(t, base, body); r.status != 201 {
		t.Fatalf("domain id: %d %s", r.status, r.body)
	}
}

func TestIAMProjects(t *testing.T) {
	_, base := newStarted(t, Options{Users: []User{testUser}, ListProjects: true})
	get := func(q string) []projectJSON {
		t.Helper()
		r := do(t, http.MethodGet, base+"/v3/projects"+q, nil, map[string]string{"X-Auth-Token": DefaultToken})
		if r.status != 200 {
			t.Fatalf("status %d %s", r.status, r.body)
		}
		var env struct {
			Projects []projectJSON      `json:"projects"`
			Links    map[string]*string `json:"links"`
		}
		if err := json.Unmarshal(r.body, &env); err != nil {
			t.Fatal(err)
		}
		if env.Projects == nil {
			t.Fatalf("projects is not an array: %s", r.body)
		}
		if env.Links["self"] == nil || !strings.HasSuffix(*env.Links["self"], "/v3/projects"+q) {
			t.Errorf("links %v", env.Links)
		}
		return env.Projects
	}
	ps := get("?name=" + DefaultRegion)
	if len(ps) != 1 || ps[0].ID != DefaultProjectID || ps[0].Name != DefaultRegion || !ps[0].Enabled || ps[0].DomainID != derivedID("domain", "acme") {
		t.Errorf("projects %+v", ps)
	}
	if ps := get("?name=xx-nowhere-1"); len(ps) != 0 {
		t.Errorf("unknown name gave %+v", ps)
	}
	if ps := get(""); len(ps) != 3 {
		t.Errorf("unfiltered list has %d projects, want 3", len(ps))
	}
	if ps := get("?name=MOS"); len(ps) != 1 || ps[0].ID == DefaultProjectID {
		t.Errorf("MOS %+v", ps)
	}
}

// TestIAMProjectsNeedTheRight: without the right to list projects, IAM
// refuses GET /v3/projects, and answers GET /v3/auth/projects (the projects
// the caller may use) to any valid credentials; credentials of another
// account see none of this account's projects.
func TestIAMProjectsNeedTheRight(t *testing.T) {
	_, base := newStarted(t, Options{Users: []User{testUser}})
	tok := map[string]string{"X-Auth-Token": DefaultToken}
	wantIAMError(t, do(t, http.MethodGet, base+"/v3/projects?name="+DefaultRegion, nil, tok), 403, "IAM.0002", "identity:list_projects")

	r := do(t, http.MethodGet, base+"/v3/auth/projects", nil, tok)
	var env struct {
		Projects []projectJSON `json:"projects"`
	}
	if err := json.Unmarshal(r.body, &env); r.status != 200 || err != nil {
		t.Fatalf("auth/projects: %d %s", r.status, r.body)
	}
	names := map[string]string{}
	for _, p := range env.Projects {
		names[p.Name] = p.ID
	}
	if len(env.Projects) != 3 || names[DefaultRegion] != DefaultProjectID {
		t.Errorf("auth/projects %+v", env.Projects)
	}
	wantError(t, do(t, http.MethodGet, base+"/v3/auth/projects", nil, map[string]string{"X-Auth-Token": "nope"}), 401, "APIGW.0301", "")
	wantIAMError(t, do(t, http.MethodGet, base+"/v3/auth/projects?name=x", nil, tok), 400, "IAM.0007", "no query parameters")

	_, other := newStarted(t, Options{CallerDomain: "central"})
	r = do(t, http.MethodGet, other+"/v3/auth/projects", nil, tok)
	if r.status != 200 || !strings.Contains(string(r.body), `"projects":[]`) {
		t.Errorf("another account's credentials: %d %s", r.status, r.body)
	}
}
