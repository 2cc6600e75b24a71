package cbr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// APIError is a non-2xx answer of the API.
type APIError struct {
	Method, URL string
	StatusCode  int
	// Code and Message are the answer's error_code and error_msg (or their
	// equivalents in IAM's and API Gateway's error bodies).
	Code, Message string
	// RequestID is the X-Request-Id of the answer (or request_id of its body).
	RequestID string
	// RetryAfter is the Retry-After header of the answer, if any.
	RetryAfter string
	// Body is the start of an answer whose error could not be parsed.
	Body string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: HTTP %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		fmt.Fprintf(&b, ", error_code %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ", error_msg %q", e.Message)
	}
	if e.Code == "" && e.Message == "" && e.Body != "" {
		fmt.Fprintf(&b, ", body %q", e.Body)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, ", request id %s", e.RequestID)
	} else {
		b.WriteString(", no request id")
	}
	return b.String()
}

// ParseAPIError reads a Huawei Cloud error body. It understands the CBR and API
// Gateway form {"error_code","error_msg","request_id"}, the nested
// {"error":{"code","message"}} form IAM uses, and {"code","message"}; anything
// else is kept as raw text.
func ParseAPIError(status int, body []byte, requestID string) *APIError {
	e := &APIError{StatusCode: status, RequestID: requestID}
	var flat struct {
		ErrorCode json.RawMessage `json:"error_code"`
		ErrorMsg  string          `json:"error_msg"`
		Code      json.RawMessage `json:"code"`
		Message   string          `json:"message"`
		RequestID string          `json:"request_id"`
		Error     *struct {
			Code    json.RawMessage `json:"code"`
			Message string          `json:"message"`
			Title   string          `json:"title"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &flat); err != nil {
		e.Body = snippet(body)
		return e
	}
	e.Code, e.Message = rawString(flat.ErrorCode), flat.ErrorMsg
	if e.Code == "" && e.Message == "" {
		e.Code, e.Message = rawString(flat.Code), flat.Message
	}
	if e.Code == "" && e.Message == "" && flat.Error != nil {
		e.Code, e.Message = rawString(flat.Error.Code), flat.Error.Message
		if e.Message == "" {
			e.Message = flat.Error.Title
		}
	}
	if e.RequestID == "" {
		e.RequestID = flat.RequestID
	}
	if e.Code == "" && e.Message == "" {
		e.Body = snippet(body)
	}
	return e
}

// rawString turns a JSON string or number into text.
func rawString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String()
	}
	return ""
}

// ResponseError is a 2xx answer whose body could not be understood. The server
// accepted the request.
type ResponseError struct {
	Method, URL string
	StatusCode  int
	RequestID   string
	Body        string
	Err         error
}

func (e *ResponseError) Error() string {
	rid := "no request id"
	if e.RequestID != "" {
		rid = "request id " + e.RequestID
	}
	return fmt.Sprintf("%s %s: HTTP %d with an answer that cannot be read (%s): %v; body %q", e.Method, e.URL, e.StatusCode, rid, e.Err, e.Body)
}

func (e *ResponseError) Unwrap() error { return e.Err }

// TransportError is a request that got no answer.
type TransportError struct {
	Method, URL string
	Err         error
	// Sent is true when the request was written to the connection, so the
	// server may have received and applied it.
	Sent bool
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: no answer: %v", e.Method, e.URL, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// IncompleteSyncError is a sync answer that did not give an operation log ID
// for every requested backup.
type IncompleteSyncError struct {
	// Missing lists the requested backup IDs the answer did not cover, in request order.
	Missing []string
	// Conflicting lists the requested backup IDs (also in Missing) that the
	// answer lists more than once with different operation log IDs.
	Conflicting []string
	// Unexpected lists backup IDs in the answer that were not requested.
	Unexpected []string
	Requested  int
	RequestID  string
}

func (e *IncompleteSyncError) Error() string {
	msg := fmt.Sprintf("the sync answer covers %d of %d %s; missing: %s", e.Requested-len(e.Missing), e.Requested, plural(e.Requested, "backup", "backups"), strings.Join(e.Missing, ", "))
	if len(e.Conflicting) > 0 {
		msg += "; answered more than once with different operation log IDs: " + strings.Join(e.Conflicting, ", ")
	}
	if len(e.Unexpected) > 0 {
		msg += "; not requested but answered: " + strings.Join(e.Unexpected, ", ")
	}
	if e.RequestID != "" {
		msg += "; request id " + e.RequestID
	}
	return msg
}

// plural is one when n is 1, many otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// MaybeApplied reports whether a failed call may nevertheless have been
// applied by the server: true for an unreadable or incomplete 2xx answer, for
// 500, 502 and 504 answers, and for a request that was sent but got no answer.
// It is false for other API errors (the server refused the request) and for
// requests that never left the client, including calls that failed before
// they were sent because authentication failed (*AuthError).
func MaybeApplied(err error) bool {
	var authErr *AuthError
	if errors.As(err, &authErr) {
		return false
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch apiErr.StatusCode {
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var respErr *ResponseError
	var incomplete *IncompleteSyncError
	if errors.As(err, &respErr) || errors.As(err, &incomplete) {
		return true
	}
	var tErr *TransportError
	if errors.As(err, &tErr) {
		return tErr.Sent
	}
	return false
}
