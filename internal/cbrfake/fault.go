package cbrfake

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Fault describes one abnormal answer. Faults are queued per request kind
// and consumed one per matching request, FIFO (see InjectFault).
type Fault struct {
	Status     int    // HTTP status to answer (e.g. 429, 500, 502, 503, 504); 0 => normal processing
	RetryAfter string // value of Retry-After header, if any
	ErrorCode  string // Huawei error code for Status; default chosen per status
	ErrorMsg   string // Huawei error message for Status; default chosen per status
	// Delay waits before answering. It honours request context cancellation
	// (client disconnect, server close): the request then gets no answer and
	// is recorded with status 0. With Apply the request is applied before
	// the wait, otherwise it is processed after it.
	Delay time.Duration
	// Apply processes the request for real (record synced backups, create
	// operation logs, issue tokens) BEFORE answering with the fault. This
	// models "the server applied it but the answer was lost".
	Apply bool
	// BrokenJSON answers 200 with a truncated, invalid JSON body (after
	// applying). If normal processing fails, its error is answered instead.
	BrokenJSON bool
	// DropItems answers 200 but omits the last N entries of "sync" (after
	// applying all). Only meaningful for kind "sync".
	DropItems int
	// ConflictingItem answers 200 but lists the first backup of the request a
	// second time, with an operation log ID the fake never issued (after
	// applying all). Only meaningful for kind "sync".
	ConflictingItem bool
	// UnrequestedItem, when not empty, answers 200 with one more entry for
	// this backup ID, which the request did not carry, and an operation log
	// ID the fake never issued (after applying all). Only for kind "sync".
	UnrequestedItem string
	// Reset hijacks and closes the TCP connection without any answer (Apply
	// decides whether the request was applied first).
	Reset bool
	// EchoAuthToken, with Status, repeats the X-Auth-Token the request
	// carried at the end of error_msg, as some gateways do with the
	// credentials they refuse.
	EchoAuthToken bool
	// OversizeBody answers as usual (after applying) with the JSON body
	// preceded by white space up to this many bytes in all: valid JSON
	// that is larger than a client may be willing to read.
	OversizeBody int
}

// A zero Fault answers normally: queue n of them before a fault to make the
// (n+1)th request of a kind fail.

// InjectFault queues faults for requests of the given kind ("sync",
// "operation_log", "operation_logs", "iam_token", "iam_projects" or "other"). Every request of
// that kind (whatever its validity) consumes the next queued fault.
func (s *Server) InjectFault(kind string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[kind] = append(s.faults[kind], faults...)
}

// PendingFaults returns the number of queued, not yet consumed faults of a kind.
func (s *Server) PendingFaults(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults[kind])
}

func (s *Server) popFault(kind string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[kind]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0]
	if len(q) == 1 {
		delete(s.faults, kind)
	} else {
		s.faults[kind] = q[1:]
	}
	return f, true
}

// serve answers c (applying a queued fault, if any) and returns the status
// written, 0 if nothing was answered.
func (s *Server) serve(w http.ResponseWriter, c *call) int {
	f, ok := s.popFault(c.kind)
	if !ok {
		return s.write(w, c, s.process(c))
	}

	var res *response
	lies := f.ConflictingItem || f.UnrequestedItem != ""
	if f.Apply || f.BrokenJSON || f.DropItems > 0 || f.OversizeBody > 0 || lies {
		res = s.process(c)
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-c.r.Context().Done():
			t.Stop()
			return 0
		case <-t.C:
		}
	}
	if f.Reset {
		c.finish(0)
		resetConnection(w)
		return 0
	}
	if f.Status != 0 {
		return s.write(w, c, faultResponse(c, f))
	}
	if res == nil {
		res = s.process(c)
	}
	if res.status == http.StatusOK {
		switch {
		case f.BrokenJSON:
			res = brokenJSON(res)
		case f.DropItems > 0 && c.kind == KindSync:
			res = dropItems(res, f.DropItems)
		case lies && c.kind == KindSync:
			res = lie(res, f)
		}
		if f.OversizeBody > len(res.body) {
			res = oversize(res, f.OversizeBody)
		}
	}
	if f.RetryAfter != "" {
		if res.header == nil {
			res.header = http.Header{}
		}
		res.header.Set("Retry-After", f.RetryAfter)
	}
	return s.write(w, c, res)
}

// faultResponse builds the error answer of a fault with a Status.
func faultResponse(c *call, f Fault) *response {
	code, msg := f.ErrorCode, f.ErrorMsg
	dc, dm := defaultFaultError(f.Status)
	if code == "" {
		code = dc
	}
	if msg == "" {
		msg = dm
	}
	if f.EchoAuthToken {
		msg += ": token " + c.r.Header.Get("X-Auth-Token")
	}
	resp := apiError(c, f.Status, code, msg)
	if f.RetryAfter != "" {
		resp.header.Set("Retry-After", f.RetryAfter)
	}
	return resp
}

// faultErrors are the error code and message of a fault's status when the
// Fault names none.
var faultErrors = map[int]struct{ code, msg string }{
	http.StatusTooManyRequests:     {"APIGW.0308", "The throttling threshold has been reached: policy user over ratelimit"},
	http.StatusInternalServerError: {"BackupService.9999", "Internal server error"},
	http.StatusBadGateway:          {"APIGW.0202", "Backend unavailable"},
	http.StatusServiceUnavailable:  {"APIGW.0202", "Service temporarily unavailable"},
	http.StatusGatewayTimeout:      {"APIGW.0203", "Backend timeout"},
	http.StatusUnauthorized:        {"APIGW.0301", "Incorrect IAM authentication information: verify token failed"},
	http.StatusForbidden:           {"APIGW.0302", "The IAM or FunctionGraph authorizer returns 403 Forbidden"},
	http.StatusNotFound:            {"APIGW.0101", "The API does not exist or has not been published in the environment"},
}

func defaultFaultError(status int) (code, msg string) {
	if e, ok := faultErrors[status]; ok {
		return e.code, e.msg
	}
	text := http.StatusText(status)
	if text == "" {
		text = "Unexpected error"
	}
	return "BackupService.9999", text
}

// brokenJSON truncates a JSON body so that it no longer parses.
func brokenJSON(res *response) *response {
	body := res.body
	n := len(body) / 2
	if n < 1 {
		n = 1
	}
	out := append([]byte(nil), body[:n]...)
	if json.Valid(out) {
		out = append(out, '{')
	}
	return &response{status: res.status, header: res.header.Clone(), body: out}
}

// dropItems removes the last n entries of "sync" from a sync answer.
func dropItems(res *response, n int) *response {
	var body syncResponse
	if err := json.Unmarshal(res.body, &body); err != nil {
		return res
	}
	if n > len(body.Sync) {
		n = len(body.Sync)
	}
	body.Sync = body.Sync[:len(body.Sync)-n]
	return rewritten(res, body)
}

// oversize pads a body with leading white space to n bytes.
func oversize(res *response, n int) *response {
	out := make([]byte, n)
	pad := n - len(res.body)
	for i := 0; i < pad; i++ {
		out[i] = ' '
	}
	copy(out[pad:], res.body)
	return &response{status: res.status, header: res.header.Clone(), body: out}
}

// lie adds to a sync answer the entries a Fault asks for: a second,
// different operation log ID for the first backup, and a backup that was not
// requested. Neither operation log ID exists in the fake.
func lie(res *response, f Fault) *response {
	var body syncResponse
	if err := json.Unmarshal(res.body, &body); err != nil || len(body.Sync) == 0 {
		return res
	}
	if f.ConflictingItem {
		body.Sync = append(body.Sync, syncResponseItem{BackupID: body.Sync[0].BackupID, OperationLogID: "ffffffff-0000-4000-8000-" + fmt.Sprintf("%012d", len(body.Sync))})
	}
	if f.UnrequestedItem != "" {
		body.Sync = append(body.Sync, syncResponseItem{BackupID: f.UnrequestedItem, OperationLogID: "eeeeeeee-0000-4000-8000-000000000000"})
	}
	return rewritten(res, body)
}

// rewritten is res with the JSON body body instead of its own, keeping the
// headers of res that the new body does not set.
func rewritten(res *response, body syncResponse) *response {
	out := jsonResponse(res.status, body)
	for k, v := range res.header {
		if _, ok := out.header[k]; !ok {
			out.header[k] = v
		}
	}
	return out
}

// resetConnection closes the client connection without answering, with an
// RST where possible.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// Not hijackable (e.g. HTTP/2): abort the handler, which makes the
		// server reset the stream.
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
