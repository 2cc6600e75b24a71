package oplogs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// stringCheck is a validator.String made of its description and of check,
// which reports on diags what is wrong with v, the known value at p.
type stringCheck struct {
	desc  string
	check func(p path.Path, v string, diags *diag.Diagnostics)
}

func (c stringCheck) Description(context.Context) string { return c.desc }

func (c stringCheck) MarkdownDescription(context.Context) string { return c.desc }

func (c stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	c.check(req.Path, req.ConfigValue.ValueString(), &resp.Diagnostics)
}

// OperationLogID rejects values that cannot be an operation log ID: blank
// ones, and those that cannot be sent as a URL path segment. Its
// diagnostics are on the value's path, or on reportAt of it when reportAt is
// not nil.
func OperationLogID(reportAt func(path.Path) path.Path) validator.String {
	return stringCheck{
		desc: "value must be an operation log ID: letters, digits, '-', '_', '.' and '~' only",
		check: func(p path.Path, v string, diags *diag.Diagnostics) {
			at := p
			if reportAt != nil {
				at = reportAt(p)
			}
			switch {
			case strings.TrimSpace(v) == "":
				diags.AddAttributeError(at, "Blank Value", fmt.Sprintf("%s must not be empty or only white space, got %q.", p, v))
			case !cbr.OperationLogIDPattern.MatchString(v):
				diags.AddAttributeError(at, "Invalid Operation Log ID",
					fmt.Sprintf("%s %q is not an operation log ID. Operation log IDs are UUIDs such as 154f0a9d-ba53-4e91-a3e2-a918710a9e0d; only letters, digits, '-', '_', '.' and '~' are allowed.", p, v))
			}
		},
	}
}

// rfc3339Time rejects strings that are not RFC 3339 times.
func rfc3339Time() validator.String {
	return stringCheck{
		desc: "value must be an RFC 3339 time such as 2026-03-14T09:00:00Z",
		check: func(p path.Path, v string, diags *diag.Diagnostics) {
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				diags.AddAttributeError(p, "Invalid Time",
					fmt.Sprintf("%s must be an RFC 3339 time such as \"2026-03-14T09:00:00Z\" or \"2026-03-14T10:00:00+01:00\" (date, \"T\", time and zone), got %q.", p, v))
			}
		},
	}
}

// oneOfValues rejects values that are not in values; what names the kind
// of value in messages ("an operation log status").
func oneOfValues(what string, values []string) validator.String {
	return stringCheck{
		desc: "value must be one of " + strings.Join(values, ", "),
		check: func(p path.Path, v string, diags *diag.Diagnostics) {
			if !slices.Contains(values, v) {
				diags.AddAttributeError(p, "Invalid Value", fmt.Sprintf("%s %q is not %s: want one of %s.", p, v, what, strings.Join(values, ", ")))
			}
		},
	}
}

// setOfOperationLogIDs checks each element of ids as cbr_operation_log
// checks its id, on the element's path.
type setOfOperationLogIDs struct{}

// idsDesc is the description of setOfOperationLogIDs.
const idsDesc = "every element must be an operation log ID"

func (setOfOperationLogIDs) Description(context.Context) string { return idsDesc }

func (setOfOperationLogIDs) MarkdownDescription(context.Context) string { return idsDesc }

func (setOfOperationLogIDs) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for _, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsUnknown() {
			continue
		}
		p := req.Path.AtSetValue(s)
		if s.IsNull() {
			resp.Diagnostics.AddAttributeError(p, "Null Operation Log ID", fmt.Sprintf("%s must not hold a null value.", req.Path))
			continue
		}
		r := validator.StringResponse{}
		OperationLogID(nil).ValidateString(ctx, validator.StringRequest{Path: p, PathExpression: p.Expression(), ConfigValue: s, Config: req.Config}, &r)
		resp.Diagnostics.Append(r.Diagnostics...)
	}
}
