package cbrfake

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func postJSON(t *testing.T, url string, body string, headers map[string]string) result {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json;charset=UTF-8"}
	for k, v := range headers {
		h[k] = v
	}
	return do(t, http.MethodPost, url, []byte(body), h)
}

type credentialBody struct {
	Credential credentialJSON `json:"credential"`
}

func decodeCredential(t *testing.T, r result, status int) credentialJSON {
	t.Helper()
	var c credentialBody
	if r.status != status || json.Unmarshal(r.body, &c) != nil || c.Credential.Access == "" || c.Credential.Secret == "" || c.Credential.Securitytoken == "" {
		t.Fatalf("credential answer %d %s", r.status, r.body)
	}
	return c.Credential
}

const securityTokensPath = "/v3.0/OS-CREDENTIAL/securitytokens"

// TestAssumeRoleFlow: a caller of another account assumes an agency; the
// credentials it gets are of the served account, expire, and CBR refuses
// the caller's own.
func TestAssumeRoleFlow(t *testing.T) {
	clk := newClock(fixedNow)
	s, base := newStarted(t, Options{Users: []User{testUser}, CallerDomain: "central", Agencies: []string{"cbr_import"}, Now: clk.Now})
	tok := map[string]string{"X-Auth-Token": DefaultToken}
	body := `{"auth":{"identity":{"methods":["assume_role"],"assume_role":{"agency_name":"cbr_import","domain_name":"acme","duration_seconds":900}}}}`

	// The caller's own token is of another account.
	wantError(t, postSync(t, base, syncBody(entry(1))), 403, "BackupService.0006", "the credentials belong to account central")

	cred := decodeCredential(t, postJSON(t, base+securityTokensPath, body, tok), 201)
	exp, err := time.Parse(IAMTimeFormat, cred.ExpiresAt)
	if err != nil || !exp.Equal(fixedNow.Add(900*time.Second).Truncate(time.Millisecond)) {
		t.Errorf("expires_at %s", cred.ExpiresAt)
	}
	if st, src, ok := s.TemporaryCredential(cred.Access); !ok || st != cred.Securitytoken || src != SourceAgency {
		t.Errorf("TemporaryCredential = %q %q %v", st, src, ok)
	}
	sign := func(ak, sk, st string) result {
		sp := signSpec{method: http.MethodPost, path: syncPath(DefaultProjectID), body: string(syncBody(entry(2))), ak: ak, sk: sk,
			headers: map[string]string{"X-Sdk-Date": sdkDate(clk.Now()), "Content-Type": "application/json"}}
		if st != "" {
			sp.headers["X-Security-Token"] = st
		}
		return send(t, http.DefaultClient, signedRequest(t, base, sp))
	}
	if r := sign(cred.Access, cred.Secret, cred.Securitytoken); r.status != 200 {
		t.Fatalf("signed with the agency's credentials: %d %s", r.status, r.body)
	}
	wantError(t, sign(cred.Access, cred.Secret, ""), 401, "APIGW.0301", "X-Security-Token is missing or invalid")
	wantError(t, sign(cred.Access, "wrong", cred.Securitytoken), 401, "APIGW.0301", "signature mismatch")
	clk.Advance(901 * time.Second)
	wantError(t, sign(cred.Access, cred.Secret, cred.Securitytoken), 401, "APIGW.0307", "The security token has expired")

	// Refusals.
	for _, tc := range []struct {
		body, code, msg string
		status          int
		headers         map[string]string
	}{
		{`{"auth":{"identity":{"methods":["assume_role"],"assume_role":{"agency_name":"nope","domain_name":"acme"}}}}`, "IAM.0013", `Could not find agency "nope" in acme.`, 404, tok},
		{`{"auth":{"identity":{"methods":["assume_role"],"assume_role":{"agency_name":"cbr_import","domain_name":"other"}}}}`, "IAM.0013", "Could not find agency", 404, tok},
		{`{"auth":{"identity":{"methods":["assume_role"],"assume_role":{"agency_name":"cbr_import","domain_id":"` + DomainID("acme") + `"}}}}`, "", "", 201, tok},
		{`{"auth":{"identity":{"methods":["assume_role"],"assume_role":{"agency_name":"cbr_import"}}}}`, "1100", "domain_id or", 400, tok},
		{`{"auth":{"identity":{"methods":["assume_role"],"assume_role":{"agency_name":"cbr_import","domain_name":"acme","domain_id":"x"}}}}`, "IAM.0007", "not both", 400, tok},
		{`{"auth":{"identity":{"methods":["assume_role"],"assume_role":{"agency_name":"cbr_import","domain_name":"acme","duration_seconds":60}}}}`, "IAM.0007", "from 900 to 86400", 400, tok},
		{`{"auth":{"identity":{"methods":["assume_role"],"assume_role":{"agency_name":"cbr_import","domain_name":"acme","extra":1}}}}`, "IAM.0007", "extra", 400, tok},
		{`{"auth":{"identity":{"methods":["password"]}}}`, "IAM.0007", `must be ["assume_role"] or ["token"]`, 400, tok},
		{body, "APIGW.0301", "", 401, map[string]string{"X-Auth-Token": "nope"}},
		{body, "APIGW.0301", "", 401, nil},
		{`{"auth":{"identity":{"methods":["token"],"token":{"id":"nope"}}}}`, "IAM.0401", "invalid or has expired", 401, nil},
	} {
		r := postJSON(t, base+securityTokensPath, tc.body, tc.headers)
		if tc.status == 201 {
			decodeCredential(t, r, 201)
			continue
		}
		if strings.HasPrefix(tc.code, "IAM") || tc.code == "1100" {
			wantIAMError(t, r, tc.status, tc.code, tc.msg)
		} else {
			wantError(t, r, tc.status, tc.code, tc.msg)
		}
	}
}

// TestIDTokenFlow: an ID token for a federated token, that for federated
// temporary credentials, which may assume the agency but not call CBR.
func TestIDTokenFlow(t *testing.T) {
	s, base := newStarted(t, Options{Users: []User{testUser}, Agencies: []string{"cbr_import"},
		IDTokens: []IDToken{{Token: "good.id.token", IdpID: "tfc"}, {Token: "old.id.token", IdpID: "tfc", Expired: true}}})
	idp := map[string]string{"X-Idp-Id": "tfc"}
	r := postJSON(t, base+"/v3.0/OS-AUTH/id-token/tokens", `{"auth":{"id_token":{"id":"good.id.token"}}}`, idp)
	subject := r.header.Get("X-Subject-Token")
	if r.status != 201 || subject == "" {
		t.Fatalf("exchange %d %s", r.status, r.body)
	}
	wantIAMError(t, postJSON(t, base+"/v3.0/OS-AUTH/id-token/tokens", `{"auth":{"id_token":{"id":"old.id.token"}}}`, idp), 401, "IAM.1002", "The id_token has expired.")
	wantIAMError(t, postJSON(t, base+"/v3.0/OS-AUTH/id-token/tokens", `{"auth":{"id_token":{"id":"good.id.token"}}}`, map[string]string{"X-Idp-Id": "other"}), 401, "IAM.1001", "not valid for identity provider")
	wantIAMError(t, postJSON(t, base+"/v3.0/OS-AUTH/id-token/tokens", `{"auth":{"id_token":{"id":"good.id.token"}}}`, nil), 400, "IAM.0007", "X-Idp-Id")
	wantIAMError(t, postJSON(t, base+"/v3.0/OS-AUTH/id-token/tokens", `{"auth":{"id_token":{"id":"good.id.token","x":1}}}`, idp), 400, "IAM.0007", "x")

	fed := decodeCredential(t, postJSON(t, base+securityTokensPath, `{"auth":{"identity":{"methods":["token"],"token":{"id":"`+subject+`","duration_seconds":900}}}}`, nil), 201)
	if _, src, _ := s.TemporaryCredential(fed.Access); src != SourceToken {
		t.Errorf("source %q", src)
	}
	// The federated token itself is not a CBR credential.
	wantError(t, do(t, http.MethodPost, base+syncPath(DefaultProjectID), syncBody(entry(1)), map[string]string{"X-Auth-Token": subject, "Content-Type": "application/json"}),
		403, "BackupService.0006", "federated:tfc")
}

func TestMetadataService(t *testing.T) {
	_, base := newStarted(t, Options{})
	r := do(t, http.MethodGet, base+"/openstack/latest/securitykey", nil, nil)
	if r.status != 404 {
		t.Errorf("without an agency: %d", r.status)
	}
	s, base := newStarted(t, Options{Metadata: true})
	cred := decodeCredential(t, do(t, http.MethodGet, base+"/openstack/latest/securitykey", nil, nil), 200)
	if _, src, ok := s.TemporaryCredential(cred.Access); !ok || src != SourceMetadata || s.IssuedTemporary(SourceMetadata) != 1 {
		t.Errorf("metadata credentials not recorded")
	}
	if r := do(t, http.MethodPost, base+"/openstack/latest/securitykey", nil, nil); r.status != 405 {
		t.Errorf("POST: %d", r.status)
	}
}
