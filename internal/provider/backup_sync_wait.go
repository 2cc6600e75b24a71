package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// pollPolicy is how often operation logs are read while waiting: Initial
// after the first round of reads, doubling up to Max.
type pollPolicy struct {
	Initial, Max time.Duration
	// sleep waits for d or until ctx is done; nil means a timer.
	sleep func(ctx context.Context, d time.Duration) error
	// progress, when not nil, is called after each round of reads that
	// leaves operation logs pending, before waiting next.
	progress func(waits []*opLogWait, next time.Duration)
}

// How often operation logs are read by default.
const (
	opLogPollInitial = 2 * time.Second
	opLogPollMax     = 30 * time.Second
)

// opLogPolling is the policy of new cbr_backup_sync resources. Tests make it
// faster.
var opLogPolling = pollPolicy{Initial: opLogPollInitial, Max: opLogPollMax}

func (p pollPolicy) wait(ctx context.Context, d time.Duration) error {
	if p.sleep != nil {
		return p.sleep(ctx, d)
	}
	return cbr.SleepContext(ctx, d)
}

// opLogWait is one distinct operation log being waited for.
type opLogWait struct {
	ID string
	// BackupIDs are the backups of the request that share this operation log.
	BackupIDs []string
	// Last is the last answer read, nil until one was.
	Last *cbr.OperationLog
	// Err is the last error reading the operation log since the last answer.
	Err error
	// Stopped means Err is not worth retrying: no more reads.
	Stopped bool
}

func (w *opLogWait) done() bool {
	return w.Stopped || (w.Last != nil && !cbr.OpStatusPending(w.Last.Status))
}

// failed reports whether the task ended without importing its backups.
func (w *opLogWait) failed() bool {
	return w.Last != nil && !cbr.OpStatusPending(w.Last.Status) && w.Last.Status != cbr.OpStatusSuccess && w.Last.Status != cbr.OpStatusSkipped
}

// distinctOperationLogs groups backups by operation log, in order of first
// appearance. opIDs maps backup IDs to operation log IDs.
func distinctOperationLogs(backupIDs []string, opIDs map[string]string) []*opLogWait {
	var out []*opLogWait
	byID := map[string]*opLogWait{}
	for _, b := range backupIDs {
		op, ok := opIDs[b]
		if !ok {
			continue
		}
		w := byID[op]
		if w == nil {
			w = &opLogWait{ID: op}
			byID[op] = w
			out = append(out, w)
		}
		w.BackupIDs = append(w.BackupIDs, b)
	}
	return out
}

// opLogWindowMargin is how long before the first sync request the listed
// window starts: room for a clock of this machine ahead of CBR's, and for the
// whole seconds of the list's start_time.
const opLogWindowMargin = 5 * time.Minute

// opLogReader is how waiting reads operation logs: List lists the sync
// operation logs created since Since (less opLogWindowMargin), and Get reads
// one by ID, for the logs the list did not return. With a nil List every
// log is read by ID.
type opLogReader struct {
	List  func(context.Context, cbr.OpLogFilter) (*cbr.OperationLogList, error)
	Get   func(context.Context, string) (*cbr.OperationLog, error)
	Since time.Time
}

// syncClock tells when the first sync request of an apply or an action is
// sent: the start of the window of the operation logs listed while waiting.
var syncClock = time.Now

// syncLogReader reads with c the operation logs of sync requests sent from
// sentAt on (the time just before the first one was sent).
func syncLogReader(c *cbr.Client, sentAt time.Time) opLogReader {
	return opLogReader{List: c.ListOperationLogs, Get: c.GetOperationLog, Since: sentAt}
}

// filter is the list of one round: the sync logs of the window.
func (r opLogReader) filter() cbr.OpLogFilter {
	f := cbr.OpLogFilter{OperationType: cbr.OpTypeSync}
	if !r.Since.IsZero() {
		f.StartTime = r.Since.Add(-opLogWindowMargin)
	}
	return f
}

// apiGoneError ends a wait whose reads failed for the whole retry budget of
// the client: the API is unreachable or keeps failing, so waiting on would
// only fail again until the timeout.
type apiGoneError struct {
	Err error
}

func (e *apiGoneError) Error() string {
	return "reading the operation logs failed after the client's retries: " + e.Err.Error()
}

func (e *apiGoneError) Unwrap() error { return e.Err }

// apiGone reports whether a failed read means the API cannot be reached or
// keeps failing: the client retried it as long as it could (a *RetryError),
// or the connection failed in a way that no retry fixes.
func apiGone(err error) bool {
	var retryErr *cbr.RetryError
	var tErr *cbr.TransportError
	return errors.As(err, &retryErr) || errors.As(err, &tErr)
}

// waitForOperationLogs reads every operation log in rounds until none is
// running or waiting, sleeping between rounds as p says. Each round lists the
// sync operation logs of the window (⌈M/1000⌉ requests for the M logs of the
// window, however many are waited for) and reads by ID only those the list
// did not return. A list answer cut short is listed again in the next round;
// a list that cannot be used otherwise (refused, or an answer that makes no
// sense) makes every later read one by ID. A read by ID that fails
// in a way that may pass (throttling, a server error, a truncated answer)
// is tried again in the next round; other failures stop the reads of that
// operation log. A read that failed for the whole retry budget of the client
// (see apiGone) ends the wait with an *apiGoneError: the waits keep their
// last answer, and the pending ones that error. It returns ctx.Err() when ctx
// ends first (timeout or interruption), nil otherwise; the outcome of each
// operation log is in waits.
func waitForOperationLogs(ctx context.Context, rd opLogReader, waits []*opLogWait, p pollPolicy) error {
	interval := p.Initial
	useList := rd.List != nil
	gone := func(err error) error {
		for _, w := range waits {
			if !w.done() {
				w.Err = err
			}
		}
		tflog.Warn(ctx, "CBR cannot be reached: stopped waiting for the operation logs", map[string]any{"error": err.Error()})
		return &apiGoneError{Err: err}
	}
	for round := 1; ; round++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var listed map[string]*cbr.OperationLog
		skip := false // no read by ID this round
		if useList {
			list, err := rd.List(ctx, rd.filter())
			switch {
			case err == nil:
				listed = make(map[string]*cbr.OperationLog, len(list.Logs))
				for _, ol := range list.Logs {
					listed[ol.ID] = ol
				}
			case ctx.Err() != nil:
				return ctx.Err()
			case apiGone(err):
				return gone(err)
			case transientPollError(err):
				// An answer cut short: list again next round rather
				// than read every log by ID.
				skip = true
				tflog.Warn(ctx, "listing the CBR operation logs failed: listing them again in the next round", map[string]any{"error": err.Error()})
			default:
				useList = false
				tflog.Warn(ctx, "listing the CBR operation logs failed: reading them one by one", map[string]any{"error": err.Error()})
			}
			if skip {
				for _, w := range waits {
					if !w.done() {
						w.Err = err
					}
				}
			}
		}
		pending, fallback := 0, 0
		for _, w := range waits {
			if w.done() {
				continue
			}
			if skip {
				pending++
				continue
			}
			if ol, ok := listed[w.ID]; ok {
				w.Last, w.Err = ol, nil
			} else {
				if err := ctx.Err(); err != nil {
					return err
				}
				fallback++
				ol, err := rd.Get(ctx, w.ID)
				switch {
				case err == nil:
					w.Last, w.Err = ol, nil
				case ctx.Err() != nil:
					return ctx.Err()
				case apiGone(err):
					return gone(err)
				default:
					w.Err = err
					w.Stopped = !transientPollError(err)
					tflog.Warn(ctx, "reading a CBR operation log failed", map[string]any{"operation_log_id": w.ID, "error": err.Error(), "retry": !w.Stopped})
				}
			}
			if !w.done() {
				pending++
			}
		}
		if pending == 0 {
			return nil
		}
		tflog.Debug(ctx, "waiting for CBR operation logs", map[string]any{"round": round, "pending": pending, "of": len(waits), "read_by_id": fallback, "next_read_in": interval.String()})
		if p.progress != nil {
			p.progress(waits, interval)
		}
		if err := p.wait(ctx, interval); err != nil {
			return err
		}
		interval = min(interval*2, p.Max)
	}
}

// transientPollError reports whether a failed read of an operation log is
// worth trying again: throttling, server errors, no answer, or an answer cut
// short.
func transientPollError(err error) bool {
	var apiErr *cbr.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode == http.StatusTooManyRequests || apiErr.StatusCode >= 500
	}
	var tErr *cbr.TransportError
	if errors.As(err, &tErr) {
		return true
	}
	var respErr *cbr.ResponseError
	if errors.As(err, &respErr) {
		var syntax *json.SyntaxError
		var netErr net.Error
		return errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr)
	}
	return false
}

// waitListLimit is how many operation logs each section of a wait
// diagnostic lists before it only counts the others.
const waitListLimit = 20

// waitFindings is what waiting found out: the summary and a description of
// every operation log that did not end well, without advice on what to do
// next.
type waitFindings struct {
	Summary string
	Detail  string
	// Pending and Unreadable are the operation logs still in progress and
	// those that could not be read.
	Pending, Unreadable []*opLogWait
}

// findWaitProblems describes, after waiting, every operation log that did
// not end well; it returns false when all of them succeeded (or were
// skipped). waitErr is what waitForOperationLogs returned.
func findWaitProblems(waitErr error, waits []*opLogWait, requested int) (waitFindings, bool) {
	var failed, pending, unreadable, strange []*opLogWait
	ok := 0
	for _, w := range waits {
		switch {
		case w.Stopped:
			unreadable = append(unreadable, w)
		case w.Last == nil || cbr.OpStatusPending(w.Last.Status):
			pending = append(pending, w)
		case w.Last.Status == cbr.OpStatusFailed || w.Last.Status == cbr.OpStatusTimeout:
			failed = append(failed, w)
		case w.failed():
			strange = append(strange, w)
		default:
			ok += len(w.BackupIDs)
		}
	}
	if len(failed)+len(pending)+len(unreadable)+len(strange) == 0 {
		return waitFindings{}, false
	}

	var summary string
	var b strings.Builder
	fmt.Fprintf(&b, "CBR accepted the request to synchronize %s; the operation log IDs are saved in the state. ", backupCount(requested))
	var gone *apiGoneError
	if len(pending) > 0 && errors.As(waitErr, &gone) {
		// One short message, not one line per operation log: every one
		// of them failed the same way.
		fmt.Fprintf(&b, "Then reading the operation logs failed even after the provider's retries, so it stopped waiting: %s. "+
			"Imported (status success or skipped): %d of %d; failed: %d; not finished or not read: %d. "+
			"The tasks go on in CBR: read their status later, for example with the cbr_operation_logs data source.",
			oneLine(gone.Err), ok, requested, backupsOf(failed)+backupsOf(strange), backupsOf(pending)+backupsOf(unreadable))
		return waitFindings{Summary: "CBR Unreachable While Waiting for Backup Sync", Detail: b.String(), Pending: pending, Unreadable: unreadable}, true
	}
	switch {
	case len(pending) > 0 && errors.Is(waitErr, context.DeadlineExceeded):
		summary = "Timed Out Waiting for CBR Backup Sync"
		b.WriteString("The create timeout ran out before every import task finished.")
	case len(pending) > 0:
		summary = "Waiting for CBR Backup Sync Interrupted"
		b.WriteString("Waiting was interrupted before every import task finished; the tasks go on in CBR.")
	case len(failed)+len(strange) > 0:
		summary = "CBR Backup Sync Failed"
		b.WriteString("Some import tasks did not succeed.")
	default:
		summary = "Unable to Check CBR Backup Sync"
		b.WriteString("Some import tasks could not be checked.")
	}
	fmt.Fprintf(&b, " Imported (status success or skipped): %d of %d.\n", ok, requested)

	section := func(title string, list []*opLogWait, line func(*opLogWait) string) {
		if len(list) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s:\n", title)
		shown := list
		if len(shown) > waitListLimit {
			shown = shown[:waitListLimit]
		}
		for _, w := range shown {
			noun := "backups "
			if len(w.BackupIDs) == 1 {
				noun = "backup "
			}
			fmt.Fprintf(&b, "- operation log %s (%s%s): %s\n", w.ID, noun, strings.Join(w.BackupIDs, ", "), line(w))
		}
		if len(list) > len(shown) {
			fmt.Fprintf(&b, "- and %d more operation logs\n", len(list)-len(shown))
		}
	}
	section("Failed", failed, func(w *opLogWait) string {
		s := "status " + w.Last.Status
		if w.Last.ErrorCode != "" {
			s += ", error_code " + w.Last.ErrorCode
		}
		if w.Last.ErrorMessage != "" {
			s += fmt.Sprintf(", error_msg %q", w.Last.ErrorMessage)
		}
		return s
	})
	section("Ended with a status the provider does not know", strange, func(w *opLogWait) string {
		return fmt.Sprintf("status %q", w.Last.Status)
	})
	section("Still in progress", pending, func(w *opLogWait) string {
		s := "not read yet"
		if w.Last != nil {
			s = "last status " + w.Last.Status
		}
		if w.Err != nil {
			s += "; last read failed: " + oneLine(w.Err)
		}
		return s
	})
	section("Could not be read", unreadable, func(w *opLogWait) string {
		s := oneLine(w.Err)
		if cbr.IsNotFound(w.Err) {
			s = "CBR has no such operation log: " + s
		}
		if w.Last != nil {
			s += "; last status " + w.Last.Status
		}
		return s
	})
	return waitFindings{Summary: summary, Detail: b.String(), Pending: pending, Unreadable: unreadable}, true
}

// backupsOf counts the backups of waits.
func backupsOf(waits []*opLogWait) int {
	n := 0
	for _, w := range waits {
		n += len(w.BackupIDs)
	}
	return n
}

// oneLine flattens an error for a list item.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// backupCount is "1 backup" or "n backups".
func backupCount(n int) string {
	if n == 1 {
		return "1 backup"
	}
	return fmt.Sprintf("%d backups", n)
}
