package credentials

// The endpoints of the provider block (endpoints, auth_url), checked at plan
// time as the client will check them.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// schemeTypo matches an endpoint that starts with a scheme whose "://" is
// mistyped, such as "http//host", "https:/host" or "http:host".
var schemeTypo = regexp.MustCompile(`(?i)^(https?)(//|:/?)([^/].*)?$`)

// CheckEndpoint trims an endpoint, gives it https:// when it has no scheme,
// and checks it as the client will, so that a bad value is reported at plan
// time on its attribute. Errors quote the value as written.
func CheckEndpoint(written string) (string, error) {
	v := strings.TrimSpace(written)
	if v == "" {
		return "", fmt.Errorf("the endpoint is empty")
	}
	shown := cbr.RedactEndpoint(v)
	added := false
	if !strings.Contains(v, "://") {
		if m := schemeTypo.FindStringSubmatch(v); m != nil {
			return "", fmt.Errorf("invalid endpoint %q: the scheme %s is not followed by \"://\"; write %q", shown, m[1], cbr.RedactEndpoint(strings.ToLower(m[1])+"://"+m[3]))
		}
		v, added = "https://"+v, true
	}
	if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
		return "", fmt.Errorf("%q: only http:// and https:// endpoints are supported", shown)
	}
	// Checked before the trailing slashes go, so that "http://" is quoted
	// as such, not as "http:".
	if _, err := cbr.ParseEndpoint(v); err != nil {
		if added {
			// The client's error quotes the value with https:// added.
			return "", errors.New(strings.Replace(err.Error(), fmt.Sprintf("%q", cbr.RedactEndpoint(v)), fmt.Sprintf("%q", shown), 1))
		}
		return "", err
	}
	return strings.TrimRight(v, "/"), nil
}

// withDefaultPath gives a URL without a path the path p.
func withDefaultPath(u, p string) string {
	if i := strings.Index(u, "://"); i >= 0 && !strings.Contains(u[i+3:], "/") {
		return u + p
	}
	return u
}

// EndpointValue rejects, at plan time, an endpoint the provider could not
// use, quoting it as written.
func EndpointValue() validator.String {
	return endpointValueValidator{"value must be an http(s) URL, or a host name to which https:// is added"}
}

type endpointValueValidator struct{ description }

func (endpointValueValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || strings.TrimSpace(req.ConfigValue.ValueString()) == "" {
		return // blank values are reported by the attribute's own validator
	}
	if _, err := CheckEndpoint(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Endpoint", fmt.Sprintf("%s: %s.", req.Path, err))
	}
}
