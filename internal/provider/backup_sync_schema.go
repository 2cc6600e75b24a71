package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
	"github.com/cbr-sync/terraform-provider-cbr/internal/oplogs"
)

// maxBackupsPerResource is the most backups one cbr_backup_sync may hold. It
// keeps a plan's cost and the size of one state object reasonable (a plan of
// 5,000 backups compares them all), and is far above one night of a backup
// appliance: an inventory that grows past it is split into resources that
// never share a backup.
const maxBackupsPerResource = 5000

// The values of backups[*].sync_state: what is known about the sync of one
// backup. Only syncNotSent is ever sent again without the user asking.
const (
	// syncAccepted: CBR answered the sync request with this backup's
	// operation_log_id.
	syncAccepted = "accepted"
	// syncAdopted: the operation_log_id was given by `terraform import` or
	// in the configuration; this resource never sent the backup.
	syncAdopted = "adopted"
	// syncUnknown: a request carrying the backup was sent, but whether CBR
	// applied it is unknown. Never sent again automatically.
	syncUnknown = "unknown"
	// syncNotSent: recorded, but no request carrying the backup was sent (or
	// CBR refused it): the next apply sends it.
	syncNotSent = "not_sent"
)

// backupSyncSchemaVersion 2 keys backups by backup_id (a map); version 1
// had a list with sync_state, version 0 a list without it.
const backupSyncSchemaVersion = 2

func (r *backupSyncResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	required := func(desc string, more ...validator.String) schema.StringAttribute {
		return schema.StringAttribute{
			MarkdownDescription: desc,
			Required:            true,
			Validators:          append([]validator.String{notBlank()}, more...),
		}
	}
	resp.Schema = schema.Schema{
		Version: backupSyncSchemaVersion,
		MarkdownDescription: fmt.Sprintf("Synchronizes (imports) on-premises VMware backups from OBS into CBR, each backup exactly once. "+
			"The resource holds 1 to %d backups in `backups`, a map keyed by `backup_id`, and sends them in requests of at most %d, in the order of their `backup_id`s. "+
			"A plan compares the map with the state key by key, and its diff shows exactly what the apply sends: new backups, backups whose fields changed and backups not sent yet, "+
			"as an in-place update; removing entries sends nothing. Changing `triggers` sends every backup again, the explicit way to re-import. "+
			"A failed or interrupted apply records every answered request, and the next apply sends only what was never sent, even when Terraform replaces the resource. "+
			"Backups already imported elsewhere can be adopted with `terraform import` without being sent. "+
			"A replacement (of a resource whose create failed, or with `-replace`) sends none of the backups the replaced object recorded as sent. "+
			"By default the sync is fire-and-forget: the apply records the operation log IDs CBR returns without waiting for CBR to import the backups; "+
			"set `wait_for_completion` to wait, or read the tasks later with the `cbr_operation_log` data source. "+
			"Reading the resource calls nothing. Destroying it only removes it from the state: the backups stay in CBR.", maxBackupsPerResource, cbr.MaxSyncEntries),
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "A UUID the provider generates when the resource is created or imported. It identifies the resource in the state only; CBR knows each import by the `operation_log_id` of its backup.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"backups": schema.MapNestedAttribute{
				MarkdownDescription: fmt.Sprintf("The backups to synchronize, keyed by `backup_id`: 1 to %d entries, "+
					"for example `backups = { for b in local.inventory : b.backup_id => b }`. They are sent in the order of their keys, in requests of at most %d. "+
					"Entries are matched with the state by key, so adding or removing entries never sends the others again; "+
					"changing a field of an entry sends that entry again.", maxBackupsPerResource, cbr.MaxSyncEntries),
				Required: true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"backup_id": schema.StringAttribute{
							MarkdownDescription: "The ID of the backup, as written by the backup appliance: the entry's key. It may be left out; when given (as when the entries come from an inventory that holds it), it must equal the key.",
							Optional:            true,
							Computed:            true,
						},
						"backup_name":   required(fmt.Sprintf("The name of the backup: 1 to %d characters.", cbr.MaxBackupNameLength), backupNameLength()),
						"bucket_name":   required("The name of the OBS bucket holding the backup chain."),
						"image_path":    required("The path of the backup chain in the bucket."),
						"resource_id":   required("The ID of the backed-up object (the VMware VM)."),
						"resource_name": required("The name of the backed-up object."),
						"resource_type": schema.StringAttribute{
							MarkdownDescription: "The resource type of the backed-up object. CBR documents these types: " + resourceTypesMarkdown() + ". Another value is sent as written, with a warning at plan time. Defaults to `" + cbr.DefaultResourceType + "`.",
							Optional:            true,
							Computed:            true,
							Default:             stringdefault.StaticString(cbr.DefaultResourceType),
							Validators:          []validator.String{notBlank()},
						},
						"created_at": schema.NumberAttribute{
							MarkdownDescription: fmt.Sprintf("When the backup was taken, in whole seconds since the Unix epoch, for example `1548898428` (not milliseconds). The API takes a 32-bit integer: 1 to %d.", cbr.MaxCreatedAt),
							Required:            true,
							Validators:          []validator.Number{createdAt()},
						},
						"operation_log_id": schema.StringAttribute{
							MarkdownDescription: "The ID of the CBR task (operation log) that imports this backup, as returned by the sync request. Several backups may share one operation log. " +
								"Null while the backup is not sent, or when the outcome of its request is unknown (see `sync_state`). " +
								"Leave it out of the configuration, except to **adopt** a backup already imported outside this resource, " +
								"or one whose outcome is unknown once you found its task in CBR: an entry given an `operation_log_id` is never sent, and that ID is recorded.",
							Optional:   true,
							Computed:   true,
							Validators: []validator.String{oplogs.OperationLogID(reportPath)},
						},
						"status": schema.StringAttribute{
							MarkdownDescription: "With `wait_for_completion`, the status of this backup's import task when waiting ended: `success`, `skipped`, `failed` or `timeout`, " +
								"or `waiting` or `running` when the create timeout ran out or the apply was interrupted first. " +
								"Null without `wait_for_completion`, when the task could not be read, or when there is no `operation_log_id`. " +
								"It is not refreshed afterwards; use the `cbr_operation_log` data source for the current status.",
							Computed: true,
						},
						"sync_state": schema.StringAttribute{
							MarkdownDescription: "What is known about the sync of this backup: " +
								"`accepted` (CBR answered with its `operation_log_id`), " +
								"`adopted` (its `operation_log_id` came from `terraform import` or the configuration; never sent by this resource), " +
								"`unknown` (a request carrying it was sent, but whether CBR applied it is unknown: an HTTP 500, 502 or 504, a connection lost after sending, an unreadable answer, " +
								"or an answer without, or with conflicting, operation log IDs for it; **never sent again automatically**), or " +
								"`not_sent` (no request carrying it was sent, or CBR refused the request: the next apply sends it).",
							Computed: true,
						},
					},
				},
			},
			"wait_for_completion": schema.BoolAttribute{
				MarkdownDescription: "Wait, after sending backups, until CBR has finished importing them: the operation logs are read in rounds, " +
					fmt.Sprintf("every %s at first, then less often (up to every %s), until none is `waiting` or `running`, within the create timeout; ", opLogPollInitial, opLogPollMax) +
					"each round lists the sync operation logs of the project, 1,000 per request, and reads by ID only those the list does not return. " +
					"If any import ends `failed` or `timeout` (or cannot be checked, or the timeout runs out), the apply fails with CBR's error_info, " +
					"with each backup's `status` in the state. " +
					"Defaults to `false`: the apply succeeds as soon as CBR accepts the requests. " +
					"Changing it later updates the state only: it neither sends backups again nor waits for earlier ones.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"fail_on_import_failure": schema.BoolAttribute{
				MarkdownDescription: "With `wait_for_completion`: whether an import that ends `failed` or `timeout` (or cannot be checked, or is still running when the timeout runs out) fails the apply. " +
					"Defaults to `true`. With `false` the apply reports them in a warning instead and succeeds, with each backup's `status` in the state, " +
					"so that outputs built from the resource (a list of the failed backups, say) are evaluated: Terraform does not evaluate the outputs that depend on a resource whose apply failed. " +
					"Either way no backup is sent again by itself. Changing it updates the state only.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
			},
			"triggers": schema.MapAttribute{
				MarkdownDescription: "Arbitrary values that, when changed, send **every** backup of the list again, in place, for example to re-run an import on purpose " +
					"(`triggers = { run = \"2\" }`): the explicit way to import backups a second time, including those whose `sync_state` is `unknown`. Not sent to CBR.",
				Optional:    true,
				ElementType: types.StringType,
			},
			"timeouts": createTimeoutAttribute(ctx, &resp.Diagnostics),
		},
	}
}
