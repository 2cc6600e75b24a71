package cbr

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

var accessOf = regexp.MustCompile(`Access=([^,]+),`)

// checkTemporarySigned checks that every CBR call was signed with temporary
// credentials the fake issued from source, with their security token, and
// returns the access keys used, in order.
func checkTemporarySigned(t *testing.T, fake *cbrfake.Server, source string) []string {
	t.Helper()
	var aks []string
	for _, r := range requestsOf(fake, cbrfake.KindSync) {
		m := accessOf.FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil {
			t.Fatalf("sync not signed: %v", r.Header)
		}
		st, src, ok := fake.TemporaryCredential(m[1])
		if !ok || src != source || r.Header.Get("X-Security-Token") != st || r.Status != 200 {
			t.Errorf("sync signed with %s (temporary %v, source %q), status %d", m[1], ok, src, r.Status)
		}
		aks = append(aks, m[1])
	}
	return aks
}

func TestAssumeRole(t *testing.T) {
	clock := cbrfake.NewClock(time.Now())
	fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, AccessKeys: map[string]string{testAK: testSK}, Users: []cbrfake.User{testUser},
		CallerDomain: "central", Agencies: []string{"cbr_import"}, TemporaryTTL: time.Hour, Now: clock.Now})
	c := newClient(t, Config{Endpoint: url, IAMEndpoint: url + "/v3", Region: cbrfake.DefaultRegion,
		Auth: AKSKAuth{AccessKey: testAK, SecretKey: testSK, Now: clock.Now}, AssumeRoles: []AssumeRole{{AgencyName: "cbr_import", DomainName: testUser.Domain, Duration: time.Hour}}})
	c.now = clock.Now
	// The original credentials are of another account: CBR refuses them.
	direct := fakeClient(t, url, cbrfake.DefaultProjectID, AKSKAuth{AccessKey: testAK, SecretKey: testSK})
	if _, err := direct.SyncBackups(context.Background(), testBackups(1)); err == nil || !strings.Contains(err.Error(), "assume an agency of this account") {
		t.Fatalf("direct call: %v", err)
	}
	fake.Reset()

	syncConcurrently(t, c, 5)
	st := requestsOf(fake, cbrfake.KindIAMSecurityToken)
	if len(st) != 1 || st[0].Status != 201 {
		t.Fatalf("%d security token requests", len(st))
	}
	if want := `{"auth":{"identity":{"methods":["assume_role"],"assume_role":{"agency_name":"cbr_import","domain_name":"acme","duration_seconds":3600}}}}`; string(st[0].Body) != want {
		t.Errorf("body %s", st[0].Body)
	}
	if got := strings.Join(signedHeaders(t, st[0]), ";"); got != "accept;host;x-sdk-date" {
		t.Errorf("the exchange was signed with %s", got)
	}
	// The project lookup and every sync are signed with the agency's
	// temporary credentials.
	look := requestsOf(fake, cbrfake.KindIAMAuthProjects)
	if len(look) != 1 || look[0].Header.Get("X-Security-Token") == "" {
		t.Fatalf("lookups %+v", look)
	}
	aks := checkTemporarySigned(t, fake, cbrfake.SourceAgency)
	if len(aks) != 5 {
		t.Fatalf("%d syncs", len(aks))
	}
	if masked := c.MaskSecrets(string(st[0].Body) + look[0].Header.Get("X-Security-Token")); strings.Contains(masked, look[0].Header.Get("X-Security-Token")) {
		t.Error("the security token is not masked")
	}

	// Renewed before they expire: 56 minutes later, new credentials.
	clock.Advance(56 * time.Minute)
	syncOne(t, c)
	aks = checkTemporarySigned(t, fake, cbrfake.SourceAgency)
	if len(requestsOf(fake, cbrfake.KindIAMSecurityToken)) != 2 || aks[5] == aks[0] {
		t.Errorf("not renewed: %d exchanges", len(requestsOf(fake, cbrfake.KindIAMSecurityToken)))
	}
}

func TestAssumeRoleErrors(t *testing.T) {
	_, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: []cbrfake.User{testUser}, AccessKeys: map[string]string{testAK: testSK}, Agencies: []string{"cbr_import"}})
	for _, tc := range []struct {
		role AssumeRole
		want string
	}{
		{AssumeRole{AgencyName: "nope", DomainName: testUser.Domain}, `unable to get temporary credentials of agency "nope" of acme: POST .*/v3.0/OS-CREDENTIAL/securitytokens: HTTP 404 Not Found, error_code IAM.0013, error_msg "Could not find agency \\"nope\\" in acme."`},
		{AssumeRole{AgencyName: "cbr_import", DomainID: "0123"}, `agency "cbr_import" of domain ID 0123: .*HTTP 404`},
		{AssumeRole{AgencyName: "cbr_import", DomainName: testUser.Domain, Duration: time.Minute}, `HTTP 400 .*duration_seconds must be from 900 to 86400, got 60`},
	} {
		c := newClient(t, Config{Endpoint: url, IAMEndpoint: url + "/v3", ProjectID: cbrfake.DefaultProjectID,
			Auth: AKSKAuth{AccessKey: testAK, SecretKey: testSK}, AssumeRoles: []AssumeRole{tc.role}})
		_, err := c.SyncBackups(context.Background(), testBackups(1))
		wantAuthError(t, err, AuthStepAssumeRole, tc.want)
	}
}

func TestMetadataAuth(t *testing.T) {
	clock := cbrfake.NewClock(time.Now())
	fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Metadata: true, TemporaryTTL: 10 * time.Minute, Now: clock.Now})
	c := newClient(t, Config{Endpoint: url, ProjectID: cbrfake.DefaultProjectID, Auth: MetadataAuth{Endpoint: url}})
	c.now = clock.Now
	for i := 0; i < 3; i++ {
		syncOne(t, c)
		clock.Advance(4 * time.Minute)
	}
	// Renewed 5 minutes before they expire: at minute 5 (the third call,
	// at minute 8).
	if n := fake.Count(cbrfake.KindMetadata); n != 2 {
		t.Errorf("%d metadata calls, want 2", n)
	}
	aks := checkTemporarySigned(t, fake, cbrfake.SourceMetadata)
	if aks[0] != aks[1] || aks[1] == aks[2] {
		t.Errorf("access keys %v", aks)
	}
	for _, r := range requestsOf(fake, cbrfake.KindMetadata) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-Auth-Token") != "" {
			t.Error("credentials sent to the metadata service")
		}
	}

	// No agency attached: a clear error.
	_, url2 := startFake(t, cbrfake.Options{})
	c2, _ := New(Config{Endpoint: url2, ProjectID: cbrfake.DefaultProjectID, Auth: MetadataAuth{Endpoint: url2}})
	_, err := c2.SyncBackups(context.Background(), testBackups(1))
	wantAuthError(t, err, AuthStepMetadata, regexp.QuoteMeta("unable to get temporary credentials from the ECS metadata service at "+url2+": GET "+url2+"/openstack/latest/securitykey: HTTP 404"))
}

func TestOIDCAuth(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: []cbrfake.User{testUser}, Agencies: []string{"cbr_import"},
		IDTokens: []cbrfake.IDToken{{Token: testIDToken, IdpID: "tfc"}, {Token: "expired.id.token", IdpID: "tfc", Expired: true}}})
	file := filepath.Join(t.TempDir(), "id_token")
	if err := os.WriteFile(file, []byte(testIDToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Config{Endpoint: url, IAMEndpoint: url + "/v3", Region: cbrfake.DefaultRegion,
		Auth:        OIDCAuth{IdpID: "tfc", IDTokenFile: file, Duration: 900 * time.Second},
		AssumeRoles: []AssumeRole{{AgencyName: "cbr_import", DomainID: cbrfake.DomainID(testUser.Domain)}}})
	if _, err := c.SyncBackups(context.Background(), testBackups(2)); err != nil {
		t.Fatal(err)
	}
	idt := requestsOf(fake, cbrfake.KindIAMIDToken)
	if len(idt) != 1 || idt[0].Header.Get("X-Idp-Id") != "tfc" || string(idt[0].Body) != `{"auth":{"id_token":{"id":"`+testIDToken+`"}}}` {
		t.Fatalf("id token exchange %+v", idt)
	}
	st := requestsOf(fake, cbrfake.KindIAMSecurityToken)
	if len(st) != 2 {
		t.Fatalf("%d security token requests", len(st))
	}
	var first map[string]any
	_ = json.Unmarshal(st[0].Body, &first)
	if !strings.Contains(string(st[0].Body), `"methods":["token"]`) || !strings.Contains(string(st[0].Body), `"duration_seconds":900`) || st[0].Header.Get("Authorization") != "" {
		t.Errorf("token exchange %s", st[0].Body)
	}
	if !strings.Contains(string(st[1].Body), `"domain_id":"`+cbrfake.DomainID(testUser.Domain)+`"`) || st[1].Header.Get("X-Security-Token") == "" {
		t.Errorf("assume_role %s signed with %v", st[1].Body, st[1].Header)
	}
	checkTemporarySigned(t, fake, cbrfake.SourceAgency)
	masked := c.MaskSecrets("id " + testIDToken + " subject " + idt[0].Header.Get("X-Subject-Token"))
	if strings.Contains(masked, testIDToken) {
		t.Errorf("not masked: %s", masked)
	}

	for _, tc := range []struct {
		auth OIDCAuth
		want string
	}{
		{OIDCAuth{IdpID: "tfc", IDToken: "expired.id.token"}, `HTTP 401 Unauthorized, error_code IAM.1002, error_msg "The id_token has expired."`},
		{OIDCAuth{IdpID: "other", IDToken: testIDToken}, `error_code IAM.1001`},
		{OIDCAuth{IdpID: "tfc", IDTokenFile: filepath.Join(t.TempDir(), "missing")}, `reading the ID token file: open .*missing: no such file or directory`},
	} {
		c := newClient(t, Config{Endpoint: url, IAMEndpoint: url + "/v3", ProjectID: cbrfake.DefaultProjectID, Auth: tc.auth,
			AssumeRoles: []AssumeRole{{AgencyName: "cbr_import", DomainID: cbrfake.DomainID(testUser.Domain)}}})
		_, err := c.SyncBackups(context.Background(), testBackups(1))
		wantAuthError(t, err, AuthStepIDToken, tc.want)
	}
}

// TestSecretsMaskedInErrors: an API error that repeats a secret, configured
// or obtained during the run, does not show it.
func TestSecretsMaskedInErrors(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: []cbrfake.User{testUser}, Agencies: []string{"cbr_import"},
		IDTokens: []cbrfake.IDToken{{Token: testIDToken, IdpID: "tfc"}}})
	c := newClient(t, Config{Endpoint: url, IAMEndpoint: url + "/v3", ProjectID: cbrfake.DefaultProjectID,
		Auth:        OIDCAuth{IdpID: "tfc", IDToken: testIDToken},
		AssumeRoles: []AssumeRole{{AgencyName: "cbr_import", DomainID: cbrfake.DomainID(testUser.Domain)}}})
	syncOne(t, c)
	var st string
	for _, r := range requestsOf(fake, cbrfake.KindSync) {
		st = r.Header.Get("X-Security-Token")
	}
	// The gateway repeats the ID token and the agency's security token.
	echo := "refused " + testIDToken + " and " + st
	fake.InjectFault(cbrfake.KindSync, cbrfake.Fault{Status: 403, ErrorCode: "APIGW.0302", ErrorMsg: echo})
	_, err := c.SyncBackups(context.Background(), testBackups(1))
	if err == nil || strings.Contains(err.Error(), testIDToken) || strings.Contains(err.Error(), st) || !strings.Contains(err.Error(), "refused *** and ***") {
		t.Errorf("err = %v", err)
	}
}

// TestTemporaryCredentialsNotLogged: the TRACE logs of an ID token
// exchange, an agency and the CBR calls they sign hold none of the secrets
// obtained on the way (ID token, federated token, secret keys, security
// tokens), nor the metadata service's.
func TestTemporaryCredentialsNotLogged(t *testing.T) {
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: []cbrfake.User{testUser}, Agencies: []string{"cbr_import"}, Metadata: true,
		IDTokens: []cbrfake.IDToken{{Token: testIDToken, IdpID: "tfc"}}})
	oidc := newClient(t, Config{Endpoint: url, IAMEndpoint: url + "/v3", Region: cbrfake.DefaultRegion,
		Auth:        OIDCAuth{IdpID: "tfc", IDToken: testIDToken},
		AssumeRoles: []AssumeRole{{AgencyName: "cbr_import", DomainID: cbrfake.DomainID(testUser.Domain)}}})
	meta := newClient(t, Config{Endpoint: url, ProjectID: cbrfake.DefaultProjectID, Auth: MetadataAuth{Endpoint: url}})
	for _, c := range []*Client{oidc, meta} {
		if _, err := c.SyncBackups(ctx, testBackups(1)); err != nil {
			t.Fatal(err)
		}
	}
	secrets := []string{testIDToken}
	for _, r := range fake.Requests() {
		for _, h := range []string{"X-Security-Token", "X-Auth-Token"} {
			if v := r.Header.Get(h); v != "" {
				secrets = append(secrets, v)
			}
		}
	}
	if len(secrets) < 3 {
		t.Fatalf("only %d secrets seen", len(secrets))
	}
	log := buf.String()
	if !strings.Contains(log, "/v3.0/OS-CREDENTIAL/securitytokens") || !strings.Contains(log, "/openstack/latest/securitykey") {
		t.Fatalf("the exchanges are not logged: %s", log)
	}
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("a secret (%.6s...) is in the logs", s)
		}
	}
	// The secret keys never travel in a header: look for every one the
	// fake issued, through the answers it logged.
	for _, c := range []*Client{oidc, meta} {
		for _, s := range c.Secrets() {
			if strings.Contains(log, s) {
				t.Errorf("a secret (%.6s...) is in the logs", s)
			}
		}
	}
}

// TestAssumeRoleWithPassword: the user's token is scoped to the project of
// the region in the user's own account, not to project_id, which is the
// agency's account's; the agency's credentials sign the sync.
func TestAssumeRoleWithPassword(t *testing.T) {
	fake, url := startFake(t, cbrfake.Options{Tokens: []string{}, Users: []cbrfake.User{testUser}, Agencies: []string{"cbr_import"}})
	c := newClient(t, Config{Endpoint: url, IAMEndpoint: url + "/v3", Region: cbrfake.DefaultRegion, ProjectID: cbrfake.DefaultProjectID,
		Auth:        PasswordAuth{UserName: testUser.Name, Password: testUser.Password, DomainName: testUser.Domain},
		AssumeRoles: []AssumeRole{{AgencyName: "cbr_import", DomainName: testUser.Domain}}})
	syncOne(t, c)
	tr := requestsOf(fake, cbrfake.KindIAMToken)
	if len(tr) != 1 || !strings.HasSuffix(string(tr[0].Body), `"scope":{"project":{"name":"cn-north-4"}}}}`) {
		t.Fatalf("token requests %d: %s", len(tr), tr[0].Body)
	}
	st := requestsOf(fake, cbrfake.KindIAMSecurityToken)
	if len(st) != 1 || st[0].Header.Get("X-Auth-Token") == "" {
		t.Fatal("the agency was not assumed with the user's token")
	}
	checkTemporarySigned(t, fake, cbrfake.SourceAgency)
}
