package cbr

import (
	"sort"
	"strings"
)

// Some gateways repeat the credentials they refused in their error message
// (error_msg "token xxx is invalid"). Every error the client returns is
// therefore masked: each secret it knows (the configured token, secret key,
// security token and password, and the IAM tokens it obtained) is replaced by
// Redacted in every field that reaches an error text, before the error leaves
// the client.

// maskError returns err with every secret of the client masked.
func (c *Client) maskError(err error) error {
	if err == nil {
		return nil
	}
	return maskError(err, newMasker(c.Secrets()))
}

// masker replaces secrets in text.
type masker struct{ r *strings.Replacer }

// newMasker masks the given secrets, longest first so that a secret that
// contains another one is masked whole. Values that are part of Redacted
// itself are left out, which keeps masking idempotent.
func newMasker(secrets []string) *masker {
	var list []string
	for _, s := range secrets {
		if s != "" && !strings.Contains(Redacted, s) {
			list = append(list, s)
		}
	}
	if len(list) == 0 {
		return nil
	}
	sort.SliceStable(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	pairs := make([]string, 0, 2*len(list))
	for _, s := range list {
		pairs = append(pairs, s, Redacted)
	}
	return &masker{r: strings.NewReplacer(pairs...)}
}

func (m *masker) text(s string) string {
	if m == nil {
		return s
	}
	return m.r.Replace(s)
}

// maskError returns err with the secrets masked. The errors of this package
// are copied with their text fields masked (never changed in place: an error
// may be shared by several callers), so errors.As still finds them, with
// the masked values. An error of another type whose text holds a secret is
// replaced by a *maskedError with the masked text that unwraps to the masked
// errors it wrapped, so errors.Is and errors.As keep working.
func maskError(err error, m *masker) error {
	if err == nil || m == nil {
		return err
	}
	switch e := err.(type) {
	case *APIError:
		return maskedCopy(e, func(c *APIError) {
			c.URL, c.Code, c.Message, c.Body, c.RequestID = m.text(e.URL), m.text(e.Code), m.text(e.Message), m.text(e.Body), m.text(e.RequestID)
		})
	case *ResponseError:
		return maskedCopy(e, func(c *ResponseError) {
			c.URL, c.Body, c.RequestID, c.Err = m.text(e.URL), m.text(e.Body), m.text(e.RequestID), maskError(e.Err, m)
		})
	case *TransportError:
		return maskedCopy(e, func(c *TransportError) { c.URL, c.Err = m.text(e.URL), maskError(e.Err, m) })
	case *CredentialsError:
		return maskedCopy(e, func(c *CredentialsError) {
			if e.Err != nil {
				c.Err, _ = maskError(e.Err, m).(*APIError)
			}
		})
	case *AuthError:
		return maskedCopy(e, func(c *AuthError) { c.What, c.Err = m.text(e.What), maskError(e.Err, m) })
	case *RetryError:
		return maskedCopy(e, func(c *RetryError) { c.Reason, c.Err = m.text(e.Reason), maskError(e.Err, m) })
	case *IncompleteSyncError:
		return maskedCopy(e, func(c *IncompleteSyncError) {
			c.Missing, c.Conflicting, c.Unexpected, c.RequestID = maskAll(e.Missing, m), maskAll(e.Conflicting, m), maskAll(e.Unexpected, m), m.text(e.RequestID)
		})
	}
	text := err.Error()
	masked := m.text(text)
	if masked == text {
		return err
	}
	me := &maskedError{text: masked}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if inner := u.Unwrap(); inner != nil {
			me.wrapped = []error{maskError(inner, m)}
		}
	case interface{ Unwrap() []error }:
		for _, inner := range u.Unwrap() {
			me.wrapped = append(me.wrapped, maskError(inner, m))
		}
	}
	return me
}

// maskedCopy returns a copy of e with mask applied to it: an error may be
// shared by several callers, so it is never changed in place.
func maskedCopy[E any](e *E, mask func(*E)) *E {
	c := *e
	mask(&c)
	return &c
}

func maskAll(list []string, m *masker) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = m.text(s)
	}
	return out
}

// maskedError is an error whose text held a secret: the text with the
// secrets masked, and the errors it wrapped, masked too.
type maskedError struct {
	text    string
	wrapped []error
}

func (e *maskedError) Error() string   { return e.text }
func (e *maskedError) Unwrap() []error { return e.wrapped }
