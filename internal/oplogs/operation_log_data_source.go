package oplogs

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbr"
)

// operationLogDataSource is cbr_operation_log: one operation log, read by ID.
type operationLogDataSource struct{ dataSource }

func (d *operationLogDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_operation_log"
}

func (d *operationLogDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := logAttributes(false)
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "The ID of the operation log, such as a `backups[*].operation_log_id` of `cbr_backup_sync`.",
		Required:            true,
		Validators:          []validator.String{OperationLogID(nil)},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads a CBR task (operation log), for example the one that imports a backup synchronized by `cbr_backup_sync`, " +
			"to see whether it finished and how. The task is read again on every plan and refresh, so the values show its current state.",
		Attributes: attrs,
	}
}

func (d *operationLogDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m logModel
	if !d.readConfig(ctx, req, resp, &m) {
		return
	}
	id := m.ID.ValueString()
	ol, err := d.client.GetOperationLog(ctx, id)
	if cbr.IsNotFound(err) {
		// The call reached CBR, so the project is known (and cached) by now.
		project, _ := d.client.ProjectID(ctx)
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Operation Log Not Found",
			fmt.Sprintf("CBR has no operation log %q in project %s. Check the ID: operation log IDs are returned by the sync request (backups[*].operation_log_id of cbr_backup_sync) and belong to one project.\n\n%s",
				id, project, d.describe(err)))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Unable to Read CBR Operation Log",
			fmt.Sprintf("Reading operation log %q failed.\n\n%s", id, d.describe(err)))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, newLogModel(ol))...)
}
