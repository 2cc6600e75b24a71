package cbr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// iamTimeLayout is the layout of IAM's expires_at and issued_at, such as
// 2026-01-04T13:29:04.137000Z (parsing accepts any fraction of a second).
const iamTimeLayout = time.RFC3339

// tokenRequest is the body of POST /v3/auth/tokens with the password method.
type tokenRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					ID       string    `json:"id,omitempty"`
					Name     string    `json:"name,omitempty"`
					Password string    `json:"password"`
					Domain   *idOrName `json:"domain,omitempty"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope struct {
			Project struct {
				ID   string `json:"id,omitempty"`
				Name string `json:"name,omitempty"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

// idOrName names an IAM object by ID or by name.
type idOrName struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// tokenAnswer is the part of IAM's token answer the client uses.
type tokenAnswer struct {
	Token *struct {
		ExpiresAt string `json:"expires_at"`
		IssuedAt  string `json:"issued_at"`
		Project   struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"project"`
	} `json:"token"`
}

// issueToken gets a token for pa's user, scoped to projectID, or to the
// project named c.projectName when projectID is empty.
func (c *Client) issueToken(ctx context.Context, pa PasswordAuth, projectID string) (*iamToken, error) {
	var what string
	var req tokenRequest
	req.Auth.Identity.Methods = []string{"password"}
	u := &req.Auth.Identity.Password.User
	u.Password = pa.Password
	switch {
	case pa.UserID != "":
		u.ID = pa.UserID
		what = fmt.Sprintf("get an IAM token for user ID %s", pa.UserID)
	case pa.DomainID != "" && pa.DomainName == "":
		u.Name, u.Domain = pa.UserName, &idOrName{ID: pa.DomainID}
		what = fmt.Sprintf("get an IAM token for user %q of domain ID %s", pa.UserName, pa.DomainID)
	default:
		u.Name, u.Domain = pa.UserName, &idOrName{Name: pa.DomainName}
		what = fmt.Sprintf("get an IAM token for user %q of domain %q", pa.UserName, pa.DomainName)
	}
	if projectID != "" {
		req.Auth.Scope.Project.ID = projectID
		what += fmt.Sprintf(" scoped to project %s", projectID)
	} else {
		req.Auth.Scope.Project.Name = c.projectName
		what += fmt.Sprintf(" scoped to project %q", c.projectName)
	}
	fail := func(err error) error {
		return &AuthError{Step: AuthStepToken, What: what, Err: err}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fail(err)
	}
	now := time.Now
	if pa.Now != nil {
		now = pa.Now
	}
	start := now()
	raw, err := c.do(ctx, outgoing{
		method: http.MethodPost,
		base:   c.iam,
		path:   "/auth/tokens",
		// The service catalog is not needed, and is large.
		query: url.Values{"nocatalog": {"true"}},
		body:  body,
	})
	if err != nil {
		return nil, fail(err)
	}
	bad := func(format string, args ...any) error {
		return fail(raw.answerError(fmt.Errorf(format, args...)))
	}
	value := raw.header.Get("X-Subject-Token")
	if value == "" {
		return nil, bad("the answer has no X-Subject-Token header")
	}
	var answer tokenAnswer
	if err := json.Unmarshal(raw.body, &answer); err != nil {
		return nil, bad("%v", err)
	}
	if answer.Token == nil {
		return nil, bad(`the answer has no "token" object`)
	}
	expires, err := time.Parse(iamTimeLayout, answer.Token.ExpiresAt)
	if err != nil {
		return nil, bad("token.expires_at %q is not a time", answer.Token.ExpiresAt)
	}
	// The token's lifetime by the IAM clock, counted from when it was
	// asked for by the local clock: right even when the clocks differ.
	var lifetime time.Duration
	if issued, err := time.Parse(iamTimeLayout, answer.Token.IssuedAt); err == nil {
		lifetime = expires.Sub(issued)
	} else {
		lifetime = expires.Sub(start)
	}
	if lifetime <= 0 {
		return nil, bad("the token has already expired (expires_at %s)", answer.Token.ExpiresAt)
	}
	pid := answer.Token.Project.ID
	switch {
	case pid == "":
		return nil, bad("the token is not scoped to a project (no token.project.id)")
	case projectID != "" && pid != projectID:
		return nil, bad("the token is scoped to project %s instead of %s", pid, projectID)
	case projectID == "" && answer.Token.Project.Name != "" && answer.Token.Project.Name != c.projectName:
		return nil, bad("the token is scoped to project %q instead of %q", answer.Token.Project.Name, c.projectName)
	}
	return &iamToken{value: value, projectID: pid, renewAt: renewTime(start, lifetime), expiresAt: start.Add(lifetime)}, nil
}

// lookupProject finds the ID of the project named c.projectName among the
// projects the credentials may use, with GET /v3/auth/projects: unlike
// GET /v3/projects, IAM answers it for any valid credentials, without the
// right to list the account's projects.
func (c *Client) lookupProject(ctx context.Context) (string, error) {
	name := c.projectName
	what := fmt.Sprintf("look up the ID of project %q in IAM", name)
	fail := func(err error) (string, error) {
		return "", authFailure(AuthStepProject, what, err)
	}
	raw, err := c.do(ctx, outgoing{
		method: http.MethodGet,
		base:   c.iam,
		path:   "/auth/projects",
		auth:   c.auth,
	})
	if err != nil {
		return fail(err)
	}
	var answer struct {
		Projects *[]struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"projects"`
	}
	err = json.Unmarshal(raw.body, &answer)
	if err == nil && answer.Projects == nil {
		err = errors.New(`the answer has no "projects" list`)
	}
	if err != nil {
		return fail(raw.answerError(err))
	}
	// The list holds every project the credentials may use: match the
	// name exactly.
	var ids, names []string
	for _, p := range *answer.Projects {
		if p.Name == name && p.ID != "" {
			ids = append(ids, p.ID)
		}
		names = append(names, p.Name)
	}
	switch len(ids) {
	case 0:
		listed := "none"
		if len(names) > 0 {
			sort.Strings(names)
			if len(names) > 20 {
				names = append(names[:20], "…")
			}
			listed = strings.Join(names, ", ")
		}
		return fail(fmt.Errorf("IAM lists no project named %q among the %d projects these credentials may use (%s; request id %s): check the region (or project_name), or give the project ID",
			name, len(*answer.Projects), listed, raw.requestID))
	case 1:
		return ids[0], nil
	default:
		return fail(fmt.Errorf("IAM lists %d projects named %q (%s; request id %s): give the project ID", len(ids), name, strings.Join(ids, ", "), raw.requestID))
	}
}
