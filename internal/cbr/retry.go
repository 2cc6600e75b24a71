package cbr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry limits and defaults.
const (
	// DefaultMaxRetries is how many times a request is retried when the
	// configuration does not say.
	DefaultMaxRetries = 5
	// MaxRetriesLimit is the largest number of retries that can be configured.
	MaxRetriesLimit = 10
	// DefaultRetryBaseDelay is the backoff before the first retry, doubled
	// for each further one (with full jitter).
	DefaultRetryBaseDelay = time.Second
	// DefaultRetryMaxDelay caps the backoff between two attempts.
	DefaultRetryMaxDelay = 30 * time.Second
	// MaxRetryAfter is the longest wait a Retry-After header may ask for. A
	// longer one ends the call at once instead of blocking the apply.
	MaxRetryAfter = 2 * time.Minute
)

// RetryRule describes, for documentation, which failures the client retries.
const RetryRule = "A request is retried, with exponential backoff and full jitter or after the time the API asks for in a " +
	"`Retry-After` header, when the API answers HTTP 429 (throttled) or 503 (unavailable), or when the connection fails " +
	"before the request was sent (DNS, connection refused, TLS handshake; not for an unknown host name or an untrusted " +
	"certificate, which no retry can fix). Read-only (GET) requests are also retried after HTTP 500, 502 and 504 and after " +
	"a connection lost while waiting for the answer. A sync request is never sent again after an answer that may mean it " +
	"was applied (HTTP 500, 502 or 504, a connection reset or a timeout after the request was sent, or an unreadable " +
	"answer), because that could import the same backups twice: the apply fails and the backups of that request are recorded with `sync_state` `unknown`, never sent again by the provider. " +
	"Waiting stops at once on Ctrl-C and never runs past the operation's timeout: a `Retry-After` longer than the time " +
	"left ends the apply at once."

// RetryError is a call that failed with a temporary error and was not retried
// any further: the retry budget was used up, the server asked for a wait
// longer than allowed or than the time left, or the context ended while the
// client was waiting to retry. The last attempt's error is kept in Err, so
// errors.As finds the *APIError or *TransportError that ended the call.
type RetryError struct {
	// Attempts is the number of times the request was sent (or tried to be sent).
	Attempts int
	// Reason says why there was no further attempt.
	Reason string
	// Err is the error of the last attempt.
	Err error
	// Ctx is the context's error when it ended while waiting to retry.
	Ctx error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("%v (gave up after %d %s: %s)", e.Err, e.Attempts, plural(e.Attempts, "attempt", "attempts"), e.Reason)
}

// Unwrap returns the last attempt's error and, when the context ended while
// waiting, the context's error.
func (e *RetryError) Unwrap() []error {
	if e.Ctx != nil {
		return []error{e.Err, e.Ctx}
	}
	return []error{e.Err}
}

// idempotent reports whether sending a request with this method twice has
// the same effect as sending it once.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// retryable reports whether a failed attempt may be sent again. A request
// that may have been applied is retried only when it is idempotent.
func retryable(method string, err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch apiErr.StatusCode {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			return true
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
			return idempotent(method)
		}
		return false
	}
	var tErr *TransportError
	if errors.As(err, &tErr) {
		if permanent(tErr.Err) {
			return false
		}
		return !tErr.Sent || idempotent(method)
	}
	var respErr *ResponseError
	if errors.As(err, &respErr) {
		// An answer too large to read will be as large the next time.
		return idempotent(method) && !errors.Is(err, errAnswerTooLarge)
	}
	return false
}

// permanent reports connection errors that no retry can fix: a host name
// that does not exist and a certificate that is not trusted.
func permanent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return true
	}
	var verifyErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostnameErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	return errors.As(err, &verifyErr) || errors.As(err, &unknownAuthority) || errors.As(err, &hostnameErr) || errors.As(err, &invalidErr)
}

// retryCause names the failure that triggers a retry, for logs.
func retryCause(err error) string {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("HTTP %d %s", apiErr.StatusCode, http.StatusText(apiErr.StatusCode))
	}
	var tErr *TransportError
	if errors.As(err, &tErr) {
		if tErr.Sent {
			return "no answer: " + tErr.Err.Error()
		}
		return "not sent: " + tErr.Err.Error()
	}
	return err.Error()
}

// backoff returns the wait before retry number attempt+1 (attempt counts
// from 0): a random duration between 0 and min(max, base·2^attempt), the
// "full jitter" scheme, which spreads out clients that failed together.
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.retryBase
	for i := 0; i < attempt && ceiling < c.retryMax; i++ {
		ceiling *= 2
	}
	if ceiling > c.retryMax {
		ceiling = c.retryMax
	}
	return time.Duration(c.randFloat() * float64(ceiling))
}

// retryDelay returns how long to wait before the next attempt after err, or
// a reason not to retry at all.
func (c *Client) retryDelay(ctx context.Context, attempt int, err error) (time.Duration, string) {
	var delay time.Duration
	var retryAfter string
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.RetryAfter != "" {
		if d, ok := ParseRetryAfter(apiErr.RetryAfter, c.now()); ok {
			if d > MaxRetryAfter {
				return 0, fmt.Sprintf("the server asked to retry in %s (Retry-After: %s), longer than the %s the provider waits at most; try again later",
					d, apiErr.RetryAfter, MaxRetryAfter)
			}
			delay, retryAfter = d, apiErr.RetryAfter
		}
	}
	if retryAfter == "" {
		delay = c.backoff(attempt)
	}
	if deadline, ok := ctx.Deadline(); ok {
		left := deadline.Sub(c.now())
		if delay >= left {
			if retryAfter != "" {
				return 0, fmt.Sprintf("the server asked to retry in %s (Retry-After: %s), but only %s are left before the deadline (the operation's timeout)",
					delay, retryAfter, left.Round(time.Millisecond))
			}
			return 0, fmt.Sprintf("the next retry would start in %s, but only %s are left before the deadline (the operation's timeout)",
				delay.Round(time.Millisecond), left.Round(time.Millisecond))
		}
	}
	return delay, ""
}

// ParseRetryAfter reads a Retry-After header value: a number of seconds or
// an HTTP date. A date in the past means no wait. ok is false for anything
// else. A number too large to represent gives the longest duration.
func ParseRetryAfter(value string, now time.Time) (wait time.Duration, ok bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return 0, false
	}
	if strings.Trim(v, "0123456789") == "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > math.MaxInt64/int64(time.Second) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// SleepContext waits for d or until ctx ends, whichever comes first, and
// returns ctx's error in the second case.
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
