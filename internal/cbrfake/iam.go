package cbrfake

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// IAMTimeFormat is the layout of expires_at and issued_at in IAM tokens.
const IAMTimeFormat = "2006-01-02T15:04:05.000Z"

type issuedToken struct {
	projectID string
	domain    string // the account the token acts in
	expiresAt time.Time
	expired   bool
}

// IssuedTokens returns the number of tokens issued by POST /v3/auth/tokens.
func (s *Server) IssuedTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuedCount
}

// ExpireTokens makes all tokens issued so far expired (401 APIGW.0307 from
// then on). Static tokens are not affected.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.issued {
		t.expired = true
	}
}

// iamErrorBody is the Keystone style error of IAM, with the top-level
// error_code/error_msg fields generic Huawei clients look for.
type iamErrorBody struct {
	Error     iamErrorDetail `json:"error"`
	ErrorCode string         `json:"error_code"`
	ErrorMsg  string         `json:"error_msg"`
	RequestID string         `json:"request_id"`
}

type iamErrorDetail struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Title   string `json:"title"`
}

func iamError(c *call, status int, code, msg string) *response {
	return jsonResponse(status, iamErrorBody{
		Error:     iamErrorDetail{Code: status, Message: msg, Title: http.StatusText(status)},
		ErrorCode: code,
		ErrorMsg:  msg,
		RequestID: c.reqID,
	})
}

func iamFieldError(c *call, ferr *fieldError) *response {
	if ferr.missing {
		return iamError(c, http.StatusBadRequest, "1100", "Mandatory parameters are not specified: "+ferr.msg)
	}
	return iamError(c, http.StatusBadRequest, "IAM.0007", "Request parameter is invalid: "+ferr.msg)
}

// iamRequireJSON is requireJSON with IAM's error.
func iamRequireJSON(c *call) *response {
	return requireJSON(c, func(msg string) *response {
		return iamError(c, http.StatusUnsupportedMediaType, "IAM.0007", "Request parameter is invalid: "+msg)
	})
}

// Token request, as decoded.
type tokenRequest struct {
	userID, userName, password string
	domainID, domainName       string
	projectID, projectName     string
}

func decodeTokenRequest(body []byte) (*tokenRequest, *fieldError) {
	auth, ferr := parseMember(body, "auth")
	if ferr != nil {
		return nil, ferr
	}
	identity, ferr := member(auth, "auth", "identity", "scope")
	if ferr != nil {
		return nil, ferr
	}
	methods, ferr := member(identity, "auth.identity", "methods", "password")
	if ferr != nil {
		return nil, ferr
	}
	if methods.kind != jArray || len(methods.arr) != 1 || methods.arr[0].kind != jString || methods.arr[0].str != "password" {
		return nil, fieldErr(`auth.identity.methods must be ["password"]`)
	}
	pw, ferr := requiredField(identity, "auth.identity", "password")
	if ferr != nil {
		return nil, ferr
	}
	user, ferr := member(pw, "auth.identity.password", "user")
	if ferr != nil {
		return nil, ferr
	}
	const up = "auth.identity.password.user"
	if ferr := objectFields(user, up, "id", "name", "password", "domain"); ferr != nil {
		return nil, ferr
	}
	tr := &tokenRequest{}
	if _, byID := user.obj["id"]; byID {
		if tr.userID, ferr = stringField(user, up, "id"); ferr != nil {
			return nil, ferr
		}
		if _, ok := user.obj["name"]; ok {
			return nil, fieldErr("%s: specify either id or name and domain, not both", up)
		}
	} else {
		if tr.userName, ferr = stringField(user, up, "name"); ferr != nil {
			return nil, ferr
		}
		dom, ferr := requiredField(user, up, "domain")
		if ferr != nil {
			return nil, ferr
		}
		if tr.domainID, tr.domainName, ferr = idOrName(dom, up+".domain"); ferr != nil {
			return nil, ferr
		}
	}
	if tr.password, ferr = stringField(user, up, "password"); ferr != nil {
		return nil, ferr
	}

	scope, ferr := requiredField(auth, "auth", "scope")
	if ferr != nil {
		return nil, ferr
	}
	if scope.kind == jObject {
		if _, ok := scope.obj["domain"]; ok {
			return nil, fieldErr("auth.scope.domain: a domain-scoped token cannot be used with CBR, scope the token to a project")
		}
	}
	proj, ferr := member(scope, "auth.scope", "project")
	if ferr != nil {
		return nil, ferr
	}
	if tr.projectID, tr.projectName, ferr = idOrName(proj, "auth.scope.project"); ferr != nil {
		return nil, ferr
	}
	return tr, nil
}

// idOrName decodes an object holding exactly one of id or name.
func idOrName(v *jval, path string) (id, name string, ferr *fieldError) {
	if ferr := objectFields(v, path, "id", "name"); ferr != nil {
		return "", "", ferr
	}
	_, hasID := v.obj["id"]
	_, hasName := v.obj["name"]
	switch {
	case hasID && hasName:
		return "", "", fieldErr("%s: specify either id or name, not both", path)
	case hasID:
		id, ferr = stringField(v, path, "id")
	default:
		name, ferr = stringField(v, path, "name")
	}
	return id, name, ferr
}

type tokenDomain struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type tokenProject struct {
	Domain tokenDomain `json:"domain"`
	ID     string      `json:"id"`
	Name   string      `json:"name"`
}

type tokenUser struct {
	Domain            tokenDomain `json:"domain"`
	ID                string      `json:"id"`
	Name              string      `json:"name"`
	PasswordExpiresAt string      `json:"password_expires_at"`
}

type tokenBody struct {
	Catalog   []any        `json:"catalog"`
	ExpiresAt string       `json:"expires_at"`
	IssuedAt  string       `json:"issued_at"`
	Methods   []string     `json:"methods"`
	Project   tokenProject `json:"project"`
	Roles     []any        `json:"roles"`
	User      tokenUser    `json:"user"`
}

type tokenEnvelope struct {
	Token tokenBody `json:"token"`
}

// handleIAMToken serves POST /v3/auth/tokens (password method, project scope).
func (s *Server) handleIAMToken(c *call) *response {
	if c.tooLarge {
		return iamError(c, http.StatusRequestEntityTooLarge, "IAM.0007",
			fmt.Sprintf("Request parameter is invalid: the request body exceeds %d bytes", MaxBodyBytes))
	}
	if errResp := iamRequireJSON(c); errResp != nil {
		return errResp
	}
	tr, ferr := decodeTokenRequest(c.body)
	if ferr != nil {
		return iamFieldError(c, ferr)
	}

	var user *User
	for i := range s.opts.Users {
		u := &s.opts.Users[i]
		var match bool
		if tr.userID != "" {
			match = userID(u) == tr.userID
		} else {
			match = u.Name == tr.userName &&
				((tr.domainName != "" && u.Domain == tr.domainName) || (tr.domainID != "" && derivedID("domain", u.Domain) == tr.domainID))
		}
		if match {
			user = u
			break
		}
	}
	if user == nil || subtle.ConstantTimeCompare([]byte(user.Password), []byte(tr.password)) != 1 {
		return iamError(c, http.StatusUnauthorized, "IAM.0401", "The username or password is wrong.")
	}

	var proj *project
	for i := range s.projects {
		p := &s.projects[i]
		if (tr.projectID != "" && p.id == tr.projectID) || (tr.projectName != "" && p.name == tr.projectName) {
			proj = p
			break
		}
	}
	if proj == nil || user.Domain != s.accountDomain {
		what := "auth.scope.project.name"
		val := tr.projectName
		if tr.projectID != "" {
			what, val = "auth.scope.project.id", tr.projectID
		}
		return iamError(c, http.StatusBadRequest, "IAM.0007",
			fmt.Sprintf("Request parameter %s is invalid: project %q does not exist in the domain of the user", what, truncate(val, 64)))
	}

	now := s.now()
	tok := "MII" + base64.RawURLEncoding.EncodeToString(randomBytes(48))
	expires := now.Add(s.opts.TokenTTL)
	s.mu.Lock()
	s.issued[tok] = &issuedToken{projectID: proj.id, expiresAt: expires, domain: user.Domain}
	s.issuedCount++
	s.mu.Unlock()

	dom := tokenDomain{ID: derivedID("domain", user.Domain), Name: user.Domain}
	resp := jsonResponse(http.StatusCreated, tokenEnvelope{Token: tokenBody{
		Catalog:   []any{},
		ExpiresAt: expires.UTC().Format(IAMTimeFormat),
		IssuedAt:  now.UTC().Format(IAMTimeFormat),
		Methods:   []string{"password"},
		Project:   tokenProject{Domain: dom, ID: proj.id, Name: proj.name},
		Roles:     []any{},
		User:      tokenUser{Domain: dom, ID: userID(user), Name: user.Name},
	}})
	resp.header.Set("X-Subject-Token", tok)
	return resp
}

func userID(u *User) string { return derivedID("user", u.Domain+"/"+u.Name) }

type projectJSON struct {
	Description string            `json:"description"`
	DomainID    string            `json:"domain_id"`
	Enabled     bool              `json:"enabled"`
	ID          string            `json:"id"`
	IsDomain    bool              `json:"is_domain"`
	Links       map[string]string `json:"links"`
	Name        string            `json:"name"`
	ParentID    string            `json:"parent_id"`
}

type projectsEnvelope struct {
	Links    map[string]*string `json:"links"`
	Projects []projectJSON      `json:"projects"`
}

// handleIAMProjects serves GET /v3/projects (filters: name, domain_id,
// enabled) to callers with the right to list projects (Options.ListProjects).
func (s *Server) handleIAMProjects(c *call) *response {
	if _, errResp := s.authenticate(c); errResp != nil {
		return errResp
	}
	if !s.opts.ListProjects {
		return iamError(c, http.StatusForbidden, "IAM.0002", "You are not authorized to perform the requested action: identity:list_projects.")
	}
	q := c.r.URL.Query()
	domainID := derivedID("domain", s.accountDomain)
	var listed []project
	for _, p := range s.projects {
		if name, ok := q["name"]; ok && (len(name) == 0 || name[0] != p.name) {
			continue
		}
		if d, ok := q["domain_id"]; ok && (len(d) == 0 || d[0] != domainID) {
			continue
		}
		if e, ok := q["enabled"]; ok && len(e) > 0 && strings.EqualFold(e[0], "false") {
			continue
		}
		listed = append(listed, p)
	}
	return s.projectsAnswer(c, listed, c.r.URL.RawQuery)
}

// projectsAnswer is IAM's list of projects of the account, whose self link
// is the path of c with query.
func (s *Server) projectsAnswer(c *call, projects []project, query string) *response {
	base := "http://" + c.r.Host
	if c.r.TLS != nil {
		base = "https://" + c.r.Host
	}
	domainID := derivedID("domain", s.accountDomain)
	out := []projectJSON{}
	for _, p := range projects {
		out = append(out, projectJSON{
			DomainID: domainID,
			Enabled:  true,
			ID:       p.id,
			Links:    map[string]string{"self": base + "/v3/projects/" + p.id},
			Name:     p.name,
			ParentID: domainID,
		})
	}
	self := base + c.r.URL.Path
	if query != "" {
		self += "?" + query
	}
	return jsonResponse(http.StatusOK, projectsEnvelope{
		Links:    map[string]*string{"self": &self, "previous": nil, "next": nil},
		Projects: out,
	})
}

// handleIAMAuthProjects serves GET /v3/auth/projects: the projects the
// caller may use, which any valid credentials may ask for. Credentials of
// another account see none of this account's projects.
func (s *Server) handleIAMAuthProjects(c *call) *response {
	p, errResp := s.authenticate(c)
	if errResp != nil {
		return errResp
	}
	if len(c.r.URL.Query()) > 0 {
		return iamError(c, http.StatusBadRequest, "IAM.0007", "Request parameter is invalid: GET /v3/auth/projects takes no query parameters")
	}
	projects := s.projects
	if p.domain != s.accountDomain {
		projects = nil
	}
	return s.projectsAnswer(c, projects, "")
}
