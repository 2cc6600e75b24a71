package cbr

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestGracefulStop: a sync request on the wire when the operation is stopped
// (Ctrl-C) gets its answer; the next request of SyncAll is not sent, and
// fails as not sent with the stop's error.
func TestGracefulStop(t *testing.T) {
	stopped := make(chan struct{})
	slowOK := func(w http.ResponseWriter, r *http.Request) {
		<-stopped
		time.Sleep(50 * time.Millisecond)
		ok(w, r)
	}
	srv := &scripted{handlers: []http.HandlerFunc{ok, slowOK, ok}}
	c, _ := retryClient(t, srv, 5)
	ctx, cancel := context.WithCancel(context.Background())
	sendCtx, done := GracefulStop(ctx)
	defer done()
	go func() {
		for srv.count() < 2 {
			time.Sleep(time.Millisecond)
		}
		cancel()
		close(stopped)
	}()
	batches, unsent := c.SyncAll(sendCtx, testBackups(MaxSyncEntries*2+1), nil)
	if len(batches) != 3 || len(unsent) != 0 || srv.count() != 2 {
		t.Fatalf("%d batches, %d unsent, %d requests; want 3 batches, the 3rd not sent", len(batches), len(unsent), srv.count())
	}
	if batches[0].Err != nil || batches[1].Err != nil || len(batches[1].Answer.OperationLogIDs) != MaxSyncEntries {
		t.Fatalf("the request on the wire was cut short: %v, %d operation log IDs", batches[1].Err, len(batches[1].Answer.OperationLogIDs))
	}
	var tErr *TransportError
	if err := batches[2].Err; !errors.As(err, &tErr) || tErr.Sent || !errors.Is(err, context.Canceled) || MaybeApplied(err) {
		t.Fatalf("the request after the stop: %v", err)
	}
}

// TestGracefulStopEndsRetryWait: a wait before a retry ends at once when
// the operation is stopped, and no retry is sent.
func TestGracefulStopEndsRetryWait(t *testing.T) {
	srv, err := cancelWhileWaiting(t, func(ctx context.Context) context.Context {
		sendCtx, done := GracefulStop(ctx)
		t.Cleanup(done)
		return sendCtx
	})
	var rErr *RetryError
	if !errors.As(err, &rErr) || !errors.Is(err, context.Canceled) || srv.count() != 1 || !strings.Contains(err.Error(), "while waiting to retry") {
		t.Fatalf("err = %v after %d requests", err, srv.count())
	}
}

// TestGracefulStopKeepsDeadline: the deadline of the operation still bounds
// a request on the wire.
func TestGracefulStopKeepsDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	sendCtx, done := GracefulStop(ctx)
	defer done()
	want, _ := ctx.Deadline()
	if got, ok := sendCtx.Deadline(); !ok || !got.Equal(want) {
		t.Fatalf("deadline %v %v, want %v", got, ok, want)
	}
	cancel()
	if sendCtx.Err() != nil || Stopped(sendCtx) == nil {
		t.Fatalf("after the stop: Err %v, Stopped %v", sendCtx.Err(), Stopped(sendCtx))
	}
}
