package cbr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// refusedURL returns the URL of a loopback port nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// credentialKind is one way to authenticate, as the IAM failure tests
// exercise it.
type credentialKind struct {
	name string
	auth func() Authenticator
	// assume is applied on top of auth, if set.
	assume []AssumeRole
	// iamKinds are the fake request kinds of the IAM calls made before the
	// first CBR call, with and without a project ID.
	iamWithProject, iamWithoutProject []string
	// opts adjusts the fake.
	opts func(*cbrfake.Options)
	// renews is true when the first IAM call without a project ID is
	// signed with temporary credentials: a 401 makes the client get new
	// ones and try once more.
	renews bool
}

func credentialKinds() []credentialKind {
	return []credentialKind{
		{name: "token", auth: func() Authenticator { return TokenAuth(cbrfake.DefaultToken) },
			iamWithoutProject: []string{cbrfake.KindIAMAuthProjects}},
		{name: "aksk", auth: func() Authenticator { return AKSKAuth{AccessKey: testAK, SecretKey: testSK} },
			iamWithoutProject: []string{cbrfake.KindIAMAuthProjects}},
		{name: "temporary aksk", auth: func() Authenticator {
			return AKSKAuth{AccessKey: "TEMPAK", SecretKey: "temp-sk", SecurityToken: testST}
		},
			iamWithoutProject: []string{cbrfake.KindIAMAuthProjects}},
		{name: "password", auth: func() Authenticator {
			return PasswordAuth{UserName: testUser.Name, Password: testUser.Password, DomainName: testUser.Domain}
		},
			iamWithProject: []string{cbrfake.KindIAMToken}, iamWithoutProject: []string{cbrfake.KindIAMToken}},
		{name: "assume_role", auth: func() Authenticator { return AKSKAuth{AccessKey: testAK, SecretKey: testSK} },
			assume:         []AssumeRole{{AgencyName: "cbr_import", DomainName: testUser.Domain}},
			iamWithProject: []string{cbrfake.KindIAMSecurityToken}, iamWithoutProject: []string{cbrfake.KindIAMSecurityToken, cbrfake.KindIAMAuthProjects},
			opts: func(o *cbrfake.Options) { o.Agencies = []string{"cbr_import"}; o.CallerDomain = "central" }},
		{name: "metadata", auth: nil, // set per test: the fake's URL
			iamWithoutProject: []string{cbrfake.KindIAMAuthProjects}, renews: true,
			opts: func(o *cbrfake.Options) { o.Metadata = true }},
		{name: "oidc", auth: func() Authenticator { return OIDCAuth{IdpID: "tfc", IDToken: testIDToken} },
			assume:         []AssumeRole{{AgencyName: "cbr_import", DomainID: cbrfakeDomainID(testUser.Domain)}},
			iamWithProject: []string{cbrfake.KindIAMIDToken}, iamWithoutProject: []string{cbrfake.KindIAMIDToken},
			opts: func(o *cbrfake.Options) {
				o.Agencies = []string{"cbr_import"}
				o.IDTokens = []cbrfake.IDToken{{Token: testIDToken, IdpID: "tfc"}}
			}},
	}
}

// testIDToken is an ID token the fake's identity provider "tfc" accepts.
const testIDToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvcmc6YWNtZSJ9.c2lnbmF0dXJl"

// cbrfakeDomainID is the ID the fake gives the account named name.
func cbrfakeDomainID(name string) string { return cbrfake.DomainID(name) }

// TestIAMFailures: every credential kind, with and without a project ID,
// against IAM answering 401, 403 or 500, or not listening at all. Every
// failure is an *AuthError naming the step, nothing reaches CBR, and
// nothing panics; a kind that needs no IAM call is not affected.
func TestIAMFailures(t *testing.T) {
	failures := []struct {
		name   string
		status int // 0: connection refused
	}{
		{"401", 401}, {"403", 403}, {"500", 500}, {"connection refused", 0},
	}
	for _, kind := range credentialKinds() {
		for _, withProject := range []bool{true, false} {
			for _, f := range failures {
				name := fmt.Sprintf("%s/project_id=%v/%s", kind.name, withProject, f.name)
				t.Run(name, func(t *testing.T) {
					opts := cbrfake.Options{
						Tokens:         nil,
						AccessKeys:     map[string]string{testAK: testSK, "TEMPAK": "temp-sk"},
						SecurityTokens: map[string]string{"TEMPAK": testST},
						Users:          []cbrfake.User{testUser},
					}
					if kind.opts != nil {
						kind.opts(&opts)
					}
					fake, url := startFake(t, opts)
					iamKinds := kind.iamWithoutProject
					pid := ""
					if withProject {
						iamKinds, pid = kind.iamWithProject, cbrfake.DefaultProjectID
					}
					iamURL := url
					if f.status == 0 {
						iamURL = refusedURL(t)
					} else {
						if len(iamKinds) > 0 {
							fake.InjectFault(iamKinds[0], cbrfake.Fault{Status: f.status})
						}
					}
					var auth Authenticator = MetadataAuth{Endpoint: url}
					if kind.auth != nil {
						auth = kind.auth()
					}
					c := newClient(t, Config{Endpoint: url, IAMEndpoint: iamURL + "/v3", Region: cbrfake.DefaultRegion, ProjectID: pid,
						Auth: auth, AssumeRoles: kind.assume, MaxRetries: 0})
					_, err := c.SyncBackups(context.Background(), testBackups(1))
					if kind.renews && !withProject && f.status == 401 {
						if err != nil || fake.Count(cbrfake.KindMetadata) != 2 {
							t.Fatalf("a 401 must get new credentials and try again: %v, %d metadata calls", err, fake.Count(cbrfake.KindMetadata))
						}
						return
					}
					if len(iamKinds) == 0 {
						if err != nil {
							t.Fatalf("no IAM call is needed, but: %v", err)
						}
						return
					}
					var authErr *AuthError
					if !errors.As(err, &authErr) {
						t.Fatalf("err = %T %v, want an *AuthError", err, err)
					}
					if MaybeApplied(err) {
						t.Error("MaybeApplied = true, but nothing was sent to CBR")
					}
					if f.status != 0 {
						var apiErr *APIError
						if !errors.As(err, &apiErr) || apiErr.StatusCode != f.status {
							t.Errorf("err = %v, want the IAM status %d", err, f.status)
						}
					} else {
						var tErr *TransportError
						if !errors.As(err, &tErr) || !strings.Contains(err.Error(), "refused") {
							t.Errorf("err = %v, want connection refused", err)
						}
					}
					if n := fake.Count(cbrfake.KindSync); n != 0 {
						t.Errorf("%d sync requests", n)
					}
					for i, k := range iamKinds {
						if n := fake.Count(k); (i == 0) != (n > 0) && f.status != 0 {
							t.Errorf("%d %s requests", n, k)
						}
					}
					// A failure is not kept: the next call asks IAM again,
					// and works once IAM does.
					_, err = c.SyncBackups(context.Background(), testBackups(1))
					switch {
					case f.status == 0 && !errors.As(err, &authErr):
						t.Errorf("second call: %T %v", err, err)
					case f.status != 0 && err != nil:
						t.Errorf("second call, IAM answering again: %v", err)
					}
				})
			}
		}
	}
}
