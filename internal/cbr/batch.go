package cbr

import (
	"context"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"
)

// Batch is the outcome of one sync request sent by SyncAll.
type Batch struct {
	// Backups are the entries of this request, in order.
	Backups []model.BackupSync
	// Answer is what CBR answered; with an *IncompleteSyncError, the
	// operation log IDs it did give.
	Answer SyncAnswer
	// Err is nil, or why this request failed. MaybeApplied(Err) tells
	// whether CBR may nevertheless have applied it.
	Err error
}

// SyncAll sends backups in order, in requests of at most MaxSyncEntries
// entries each, one request at a time. It stops after the first request that
// fails, whatever the reason: a backup is never sent twice by SyncAll, and the
// backups of the requests it did not send are returned as unsent. onBatch,
// when not nil, is called after each request, before the next one is sent.
//
// Each backup of a batch without Err has an operation log ID in
// Batch.Answer.OperationLogIDs.
//
// With a context made by GracefulStop, a stop (Ctrl-C) lets the request on
// the wire finish; the next request is not sent and its batch fails with a
// *TransportError that was not sent.
func (c *Client) SyncAll(ctx context.Context, backups []model.BackupSync, onBatch func(Batch)) (batches []Batch, unsent []model.BackupSync) {
	for start := 0; start < len(backups); start += MaxSyncEntries {
		end := min(start+MaxSyncEntries, len(backups))
		b := Batch{Backups: backups[start:end]}
		b.Answer, b.Err = c.Sync(ctx, b.Backups)
		batches = append(batches, b)
		if onBatch != nil {
			onBatch(b)
		}
		if b.Err != nil {
			return batches, backups[end:]
		}
	}
	return batches, nil
}
