package cbr

import (
	"context"
	"time"
)

// stopKey holds, in a context made by GracefulStop, the context whose end
// means "stop": no new request, no retry, no more waiting.
type stopKey struct{}

// GracefulStop returns a context for the requests of one operation that the
// end of ctx does not cut short: a request already on the wire when ctx is
// cancelled (Terraform's StopProvider on Ctrl-C) runs to its answer, bounded
// by ctx's deadline and the HTTP client's timeout, so that its answer is
// known instead of lost. Once ctx has ended, no request is sent any more
// through the returned context (the attempt fails with a *TransportError
// that was not sent, wrapping ctx's error), no retry starts and a wait
// before a retry ends at once.
//
// The returned context keeps ctx's values and deadline. Call cancel when
// the operation is over.
func GracefulStop(ctx context.Context) (context.Context, context.CancelFunc) {
	detached := context.WithoutCancel(ctx)
	cancel := context.CancelFunc(func() {})
	if deadline, ok := ctx.Deadline(); ok {
		detached, cancel = context.WithDeadline(detached, deadline)
	}
	return context.WithValue(detached, stopKey{}, ctx), cancel
}

// stopped returns the stop context's error once it ended (nil when ctx was
// not made by GracefulStop, or is not stopped).
func stopped(ctx context.Context) error {
	if stop, ok := ctx.Value(stopKey{}).(context.Context); ok {
		return stop.Err()
	}
	return nil
}

// Stopped reports why the operation of ctx was stopped, or nil: the error of
// the context given to GracefulStop, or ctx's own error otherwise.
func Stopped(ctx context.Context) error {
	if err := stopped(ctx); err != nil {
		return err
	}
	return ctx.Err()
}

// waitContext is the context a wait between attempts listens to: the stop
// context when there is one (so that Ctrl-C ends the wait at once), ctx
// otherwise.
func waitContext(ctx context.Context) context.Context {
	if stop, ok := ctx.Value(stopKey{}).(context.Context); ok {
		return stop
	}
	return ctx
}

// sleepStoppable waits for d in sleep, ending early when ctx is stopped or
// its deadline passes (the stop context has the same deadline).
func (c *Client) sleepStoppable(ctx context.Context, d time.Duration) error {
	return c.sleep(waitContext(ctx), d)
}
