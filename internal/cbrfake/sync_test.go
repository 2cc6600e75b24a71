package cbrfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var uuidV4Re = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func decodeSyncAnswer(t *testing.T, r result) []syncResponseItem {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, body %s", r.status, r.body)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	var body syncResponse
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return body.Sync
}

func TestSyncHappyPath(t *testing.T) {
	s, base := newStarted(t, Options{Now: newClock(fixedNow).Now})
	es := entries(3)
	r := postSync(t, base, syncBody(es...))
	items := decodeSyncAnswer(t, r)
	if !requestIDRe.MatchString(r.header.Get("X-Request-Id")) {
		t.Errorf("X-Request-Id = %q", r.header.Get("X-Request-Id"))
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if len(items) != 3 {
		t.Fatalf("got %d items", len(items))
	}
	seen := map[string]bool{}
	for i, it := range items {
		want := as[map[string]any](t, es[i], fmt.Sprintf("entry %d", i))["backup_id"]
		if it.BackupID != want {
			t.Errorf("item %d backup_id = %q, want %q (request order)", i, it.BackupID, want)
		}
		if !uuidV4Re.MatchString(it.OperationLogID) {
			t.Errorf("operation_log_id %q is not a UUID v4", it.OperationLogID)
		}
		if seen[it.OperationLogID] {
			t.Errorf("operation_log_id %q reused", it.OperationLogID)
		}
		seen[it.OperationLogID] = true
		if st, ok := s.OperationLog(it.OperationLogID); !ok || st != StatusWaiting {
			t.Errorf("OperationLog(%s) = %q, %v", it.OperationLogID, st, ok)
		}
	}
	synced := s.Synced()
	if len(synced) != 3 {
		t.Fatalf("Synced() has %d entries", len(synced))
	}
	e0 := as[map[string]any](t, es[0], "entry 0")
	str := func(key string) string { return as[string](t, e0[key], key) }
	want0 := SyncedBackup{
		BackupID: str("backup_id"), BackupName: str("backup_name"), BucketName: str("bucket_name"),
		ImagePath: str("image_path"), ResourceID: str("resource_id"), ResourceName: str("resource_name"),
		ResourceType: str("resource_type"), CreatedAt: int64(as[int](t, e0["created_at"], "created_at")), OperationLogID: items[0].OperationLogID,
	}
	if synced[0] != want0 {
		t.Errorf("Synced()[0] = %+v, want %+v", synced[0], want0)
	}
	if n := s.Count(KindSync); n != 1 {
		t.Errorf("Count(sync) = %d", n)
	}
	reqs := s.Requests()
	if len(reqs) != 1 || reqs[0].Status != 200 || reqs[0].Kind != KindSync || reqs[0].RequestID != r.header.Get("X-Request-Id") ||
		reqs[0].Method != http.MethodPost || reqs[0].Path != syncPath(DefaultProjectID) || !bytes.Equal(reqs[0].Body, syncBody(es...)) {
		t.Errorf("Requests() = %+v", reqs)
	}
}

func TestSyncSharedOperationLog(t *testing.T) {
	s, base := newStarted(t, Options{SharedOperationLog: true})
	items := decodeSyncAnswer(t, postSync(t, base, syncBody(entries(4)...)))
	if len(items) != 4 {
		t.Fatalf("got %d items", len(items))
	}
	for _, it := range items[1:] {
		if it.OperationLogID != items[0].OperationLogID {
			t.Fatalf("operation logs differ: %+v", items)
		}
	}
	r := do(t, http.MethodGet, base+opLogPath(DefaultProjectID, items[0].OperationLogID), nil, tokenHeaders())
	var env opLogEnvelope
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatal(err)
	}
	if env.OperationLog.ExtraInfo.Sync.SyncBackupNum != 4 {
		t.Errorf("sync_backup_num = %d, want 4", env.OperationLog.ExtraInfo.Sync.SyncBackupNum)
	}
	// A second request gets its own operation log.
	e := entry(10)
	items2 := decodeSyncAnswer(t, postSync(t, base, syncBody(e)))
	if items2[0].OperationLogID == items[0].OperationLogID {
		t.Error("second request reused the operation log")
	}
	if n := len(s.Synced()); n != 5 {
		t.Errorf("Synced() = %d entries", n)
	}
}

func TestSyncBackupNameMultibyte(t *testing.T) {
	s, base := newStarted(t, Options{})
	e := entry(1)
	e["backup_name"] = strings.Repeat("é", 64) // 64 characters, 128 bytes
	decodeSyncAnswer(t, postSync(t, base, syncBody(e)))
	e = entry(2)
	e["backup_name"] = strings.Repeat("é", 65)
	wantError(t, postSync(t, base, syncBody(e)), 400, "BackupService.9900", "sync[0].backup_name length 65 exceeds 64")
	if n := len(s.Synced()); n != 1 {
		t.Errorf("Synced() = %d", n)
	}
}

func TestSyncLimits(t *testing.T) {
	_, base := newStarted(t, Options{})
	decodeSyncAnswer(t, postSync(t, base, syncBody(entries(MaxSyncEntries)...)))
	e := entry(0)
	e["created_at"] = MaxCreatedAt
	decodeSyncAnswer(t, postSync(t, base, syncBody(e)))
	e = entry(1)
	e["created_at"] = 1
	decodeSyncAnswer(t, postSync(t, base, syncBody(e)))
}

func TestSyncValidation(t *testing.T) {
	s, base := newStarted(t, Options{})
	with := func(i int, key string, v any) map[string]any {
		e := entry(i)
		e[key] = v
		return e
	}
	without := func(i int, key string) map[string]any {
		e := entry(i)
		delete(e, key)
		return e
	}
	raw := func(s string) []byte { return []byte(s) }
	valid := string(syncBody(entry(0)))

	cases := []struct {
		name string
		body []byte
		msg  string
	}{
		{"unknown top-level field", raw(`{"sync":[],"vault_id":"x"}`), "unknown field vault_id"},
		{"unknown entry field", syncBody(entry(0), with(1, "size", 1)), "unknown field sync[1].size"},
		{"created_at string", syncBody(with(0, "created_at", "1553587260")), "sync[0].created_at must be an integer, got string"},
		{"created_at float", syncBody(entry(0), entry(1), with(2, "created_at", 1.5)), "sync[2].created_at must be an integer, got number 1.5"},
		{"created_at exponent", raw(strings.Replace(valid, "1553587260", "1.5e9", 1)), "sync[0].created_at must be an integer"},
		{"created_at null", syncBody(with(0, "created_at", nil)), "sync[0].created_at must be an integer, got null"},
		{"created_at zero", syncBody(with(0, "created_at", 0)), "sync[0].created_at 0 is out of range [1, 2147483647]"},
		{"created_at negative", syncBody(with(0, "created_at", -5)), "sync[0].created_at -5 is out of range"},
		{"created_at too big", syncBody(with(0, "created_at", int64(MaxCreatedAt)+1)), "sync[0].created_at 2147483648 is out of range"},
		{"created_at overflow", raw(strings.Replace(valid, "1553587260", "99999999999999999999999", 1)), "sync[0].created_at 99999999999999999999999 is out of range"},
		{"backup_id number", syncBody(with(0, "backup_id", 12)), "sync[0].backup_id must be a string, got integer"},
		{"backup_name too long", syncBody(entry(0), entry(1), entry(2), with(3, "backup_name", strings.Repeat("n", 70))), "sync[3].backup_name length 70 exceeds 64"},
		{"duplicate backup_id", syncBody(entry(0), entry(1), entry(0)), `sync[2].backup_id "1f9e6b47-7655-4a19-b563-000000000000" duplicates sync[0].backup_id`},
		{"sync missing", raw(`{}`), "sync is required"},
		{"sync not array", raw(`{"sync":{"backup_id":"x"}}`), "sync must be an array, got object"},
		{"sync null", raw(`{"sync":null}`), "sync must be an array, got null"},
		{"sync empty", raw(`{"sync":[]}`), "sync has 0 entries, must have 1 to 50"},
		{"sync too many", syncBody(entries(51)...), "sync has 51 entries, must have 1 to 50"},
		{"entry not object", raw(`{"sync":["x"]}`), "sync[0] must be an object, got string"},
		{"trailing garbage", raw(valid + " x"), "request body has unexpected data after the JSON value"},
		{"two objects", raw(valid + "{}"), "request body has unexpected data after the JSON value"},
		{"invalid JSON", raw(`{"sync":[`), "request body is not valid JSON: unexpected end of input"},
		{"syntax error", raw(`{"sync" 1}`), "request body is not valid JSON: invalid character"},
		{"empty body", raw(``), "request body is empty"},
		{"top-level array", raw(`[]`), "the top level must be an object, got array"},
		{"duplicate key", raw(`{"sync":[],"sync":[]}`), "duplicate field sync"},
		{"duplicate key in entry", raw(strings.Replace(valid, `"backup_name"`, `"backup_name":"a","backup_name"`, 1)), "duplicate field sync[0].backup_name"},
		{"invalid UTF-8", raw(strings.Replace(valid, "vm-01", "vm-\xff", 1)), "request body is not valid UTF-8"},
	}
	for _, f := range syncFields {
		cases = append(cases, struct {
			name string
			body []byte
			msg  string
		}{"missing " + f, syncBody(entry(0), without(1, f)), fmt.Sprintf("sync[1].%s is required", f)})
		if f != "created_at" {
			cases = append(cases, struct {
				name string
				body []byte
				msg  string
			}{"empty " + f, syncBody(with(0, f, "")), fmt.Sprintf("sync[0].%s must not be empty", f)})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := postSync(t, base, tc.body)
			wantError(t, r, http.StatusBadRequest, "BackupService.9900", "Invalid parameter: "+tc.msg)
		})
	}
	if n := len(s.Synced()); n != 0 {
		t.Errorf("rejected requests were applied: %d", n)
	}
	if n := s.Count(KindSync); n != len(cases) {
		t.Errorf("Count(sync) = %d, want %d", n, len(cases))
	}
}

func TestSyncContentType(t *testing.T) {
	s, base := newStarted(t, Options{})
	body := syncBody(entry(0))
	for _, ct := range []string{"application/json", "application/json;charset=UTF-8", "application/json; charset=utf-8"} {
		r := do(t, http.MethodPost, base+syncPath(DefaultProjectID), body, map[string]string{"X-Auth-Token": DefaultToken, "Content-Type": ct})
		decodeSyncAnswer(t, r)
		s.Reset()
	}
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/jsonx"} {
		h := map[string]string{"X-Auth-Token": DefaultToken}
		if ct != "" {
			h["Content-Type"] = ct
		}
		r := do(t, http.MethodPost, base+syncPath(DefaultProjectID), body, h)
		wantError(t, r, http.StatusUnsupportedMediaType, "BackupService.9900", "Content-Type")
	}
	if n := len(s.Synced()); n != 3 {
		t.Errorf("Synced() = %d", n)
	}
}

func TestSyncBodyTooLarge(t *testing.T) {
	s, base := newStarted(t, Options{})
	body := append([]byte(`{"sync":[{"backup_name":"`), bytes.Repeat([]byte("a"), MaxBodyBytes)...)
	body = append(body, `"}]}`...)
	wantError(t, postSync(t, base, body), http.StatusRequestEntityTooLarge, "APIGW.0201", "exceeds 1048576 bytes")
	if len(s.Synced()) != 0 {
		t.Error("applied")
	}
}

func TestSyncProjectMismatch(t *testing.T) {
	s, base := newStarted(t, Options{})
	other := "ffffffffffffffffffffffffffffffff"
	r := do(t, http.MethodPost, base+syncPath(other), syncBody(entry(0)), tokenHeaders())
	wantError(t, r, http.StatusForbidden, "BackupService.0006", other)
	if len(s.Synced()) != 0 {
		t.Error("applied")
	}
	// Authentication is checked before the project.
	r = do(t, http.MethodPost, base+syncPath(other), syncBody(entry(0)), map[string]string{"Content-Type": "application/json"})
	wantError(t, r, http.StatusUnauthorized, "APIGW.0301", "Authorization header or X-Auth-Token is required")
}

func TestSyncCustomProject(t *testing.T) {
	pid := "11112222333344445555666677778888"
	s, base := newStarted(t, Options{ProjectID: pid, Region: "ap-southeast-3", Tokens: []string{"t1", "t2"}})
	r := do(t, http.MethodPost, base+syncPath(pid), syncBody(entry(0)), map[string]string{"X-Auth-Token": "t2", "Content-Type": "application/json"})
	decodeSyncAnswer(t, r)
	r = do(t, http.MethodPost, base+syncPath(DefaultProjectID), syncBody(entry(1)), map[string]string{"X-Auth-Token": "t1", "Content-Type": "application/json"})
	wantError(t, r, http.StatusForbidden, "BackupService.0006", DefaultProjectID)
	r = do(t, http.MethodPost, base+syncPath(pid), syncBody(entry(1)), map[string]string{"X-Auth-Token": DefaultToken, "Content-Type": "application/json"})
	wantError(t, r, http.StatusUnauthorized, "APIGW.0301", "verify token failed")
	if s.ProjectID() != pid || s.Region() != "ap-southeast-3" {
		t.Error("accessors")
	}
}

func TestSyncResyncSameBackup(t *testing.T) {
	// The fake does not deduplicate across requests: a retried sync is
	// applied again, which tests can observe through Synced().
	s, base := newStarted(t, Options{})
	a := decodeSyncAnswer(t, postSync(t, base, syncBody(entry(0))))
	b := decodeSyncAnswer(t, postSync(t, base, syncBody(entry(0))))
	if a[0].OperationLogID == b[0].OperationLogID {
		t.Error("same operation log for two requests")
	}
	if n := len(s.Synced()); n != 2 {
		t.Errorf("Synced() = %d", n)
	}
}
