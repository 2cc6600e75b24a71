package cbr

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// startFake starts a fake CBR and IAM API.
func startFake(t *testing.T, opts cbrfake.Options) (*cbrfake.Server, string) {
	t.Helper()
	fake := cbrfake.New(opts)
	url, closeFn := fake.Start()
	t.Cleanup(closeFn)
	return fake, url
}

// startHandler serves h on a test server and returns its URL.
func startHandler(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// newClient builds a client with cfg, which must be valid.
func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeClient builds a client for the fake, whose base URL serves CBR and IAM.
func fakeClient(t *testing.T, url string, projectID string, auth Authenticator) *Client {
	t.Helper()
	return newClient(t, Config{Endpoint: url, IAMEndpoint: url + "/v3", Region: cbrfake.DefaultRegion, ProjectID: projectID, Auth: auth, UserAgent: "terraform-provider-cbr/test"})
}

// syncOne syncs one backup with c and fails the test if that fails.
func syncOne(t *testing.T, c *Client) {
	t.Helper()
	if _, err := c.SyncBackups(context.Background(), testBackups(1)); err != nil {
		t.Fatal(err)
	}
}

// syncConcurrently makes n calls at once, each syncing one backup with c,
// and waits for them; each call that fails fails the test.
func syncConcurrently(t *testing.T, c *Client, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.SyncBackups(context.Background(), testBackups(1)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// wantAuthError checks that err is an *AuthError of step whose text
// matches the regular expression want.
func wantAuthError(t *testing.T, err error, step AuthStep, want string) {
	t.Helper()
	var authErr *AuthError
	if !errors.As(err, &authErr) || authErr.Step != step || !regexp.MustCompile(want).MatchString(err.Error()) {
		t.Errorf("err = %v, want an error of step %s matching %s", err, step, want)
	}
}
