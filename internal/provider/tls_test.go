package provider

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
	"github.com/cbr-sync/terraform-provider-cbr/internal/credentials"
)

// startTLSFake serves a fake CBR API over HTTPS with a certificate of its
// own and returns its URL and the path of a PEM file with that certificate.
func startTLSFake(t *testing.T) (*cbrfake.Server, string, string) {
	t.Helper()
	fake := cbrfake.New(cbrfake.Options{})
	srv := httptest.NewTLSServer(fake)
	t.Cleanup(srv.Close)
	guardImports(t, fake)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return fake, srv.URL, ca
}

func withProviderArgs(url, args string) string {
	return strings.Replace(providerConfig(url), "provider \"cbr\" {", "provider \"cbr\" {\n"+args, 1)
}

// TestAccProvider_tls: the API's certificate is verified; a CA bundle given
// by cacert_file (or HW_CACERT) makes a private CA trusted.
func TestAccProvider_tls(t *testing.T) {
	fake, url, ca := startTLSFake(t)
	res := backupsConfig(makeBackups(1))
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{
			{
				// Not trusted: the TLS handshake fails and nothing reaches the API
				// (the second step counts one request in all).
				Config:      providerConfig(url) + res,
				ExpectError: errorLike(`(?s)Unable to Synchronize CBR Backups.*could not be sent to CBR. Nothing was synchronized.*x509: certificate signed by unknown authority`),
			},
			{
				Config:           withProviderArgs(url, fmt.Sprintf("  cacert_file = %q", ca)) + res,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(testAddr, plancheck.ResourceActionCreate)}},
				Check:            func(*terraform.State) error { return expectCalls(fake, cbrfake.KindSync, 1)() },
			},
		},
	})
}

func TestAccProvider_tlsFromEnvironment(t *testing.T) {
	fake, url, ca := startTLSFake(t)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(map[string]string{credentials.EnvCACert: ca}),
		Steps: []tfresource.TestStep{{
			Config:            providerConfig(url) + backupsConfig(makeBackups(2)),
			ConfigStateChecks: stateMatchesFake(fake, 2),
		}},
	})
}

func TestAccProvider_insecure(t *testing.T) {
	fake, url, _ := startTLSFake(t)
	tfresource.ParallelTest(t, tfresource.TestCase{
		ProtoV6ProviderFactories: providerFactories(nil),
		Steps: []tfresource.TestStep{{
			Config:            withProviderArgs(url, "  insecure = true") + backupsConfig(makeBackups(1)),
			ConfigStateChecks: stateMatchesFake(fake, 1),
		}},
	})
}

// TestAccProvider_transportConfigErrors shows the plan-time errors of
// cacert_file and max_retries.
func TestAccProvider_transportConfigErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	url := "https://cbr.example.invalid"
	res := backupsConfig(makeBackups(1))
	cases := []struct {
		name, args string
		env        map[string]string
		want       string
	}{
		{"missing file", fmt.Sprintf("  cacert_file = %q", missing), nil,
			fmt.Sprintf(`(?s)Unable to Read CA Certificate File.*with provider\["%s"\].*The CA bundle %q \(from cacert_file\) cannot be read: open %s: no such file or directory`, testProviderAddressPattern(), missing, missing)},
		{"not a CA bundle", fmt.Sprintf("  cacert_file = %q", garbage), nil,
			fmt.Sprintf(`(?s)Invalid CA Certificate File.*The CA bundle %q \(from cacert_file\) is not a PEM file of CA certificates: PEM block 1 is a "PRIVATE KEY", not a CERTIFICATE`, garbage)},
		{"bundle from the environment", "", map[string]string{credentials.EnvCACert: missing},
			fmt.Sprintf(`(?s)Unable to Read CA Certificate File.*The CA bundle %q \(from HW_CACERT\) cannot be read`, missing)},
		{"blank cacert_file", `  cacert_file = " "`, nil, `(?s)Blank Value.*cacert_file must not be empty`},
		{"max_retries too large", "  max_retries = 11", nil, `(?s)Invalid Attribute Value.*max_retries value must be between 0 and 10, got: 11`},
		{"max_retries negative", "  max_retries = -1", nil, `(?s)max_retries value must be between 0 and 10, got: -1`},
		{"HW_MAX_RETRIES invalid", "", map[string]string{credentials.EnvMaxRetries: "many"}, `(?s)Invalid Environment Variable HW_MAX_RETRIES.*HW_MAX_RETRIES is "many"; it must be a whole number from 0 to 10`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tfresource.ParallelTest(t, tfresource.TestCase{
				ProtoV6ProviderFactories: providerFactories(tc.env),
				Steps:                    []tfresource.TestStep{{Config: withProviderArgs(url, tc.args) + res, PlanOnly: true, ExpectError: errorLike(tc.want)}},
			})
		})
	}
}

// configure calls the provider's Configure with the given attribute values
// (the others null) and returns the response.
func configure(t *testing.T, p *cbrProvider, values map[string]tftypes.Value) *provider.ConfigureResponse {
	t.Helper()
	return configureIn(context.Background(), t, p, values)
}

// configureIn is configure with ctx (which may carry a logger).
func configureIn(ctx context.Context, t *testing.T, p *cbrProvider, values map[string]tftypes.Value) *provider.ConfigureResponse {
	t.Helper()
	var schemaResp provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &schemaResp)
	typ, ok := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatalf("the provider schema's type is %T, want tftypes.Object", schemaResp.Schema.Type().TerraformType(ctx))
	}
	req := provider.ConfigureRequest{TerraformVersion: "1.11.4", Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: objectWith(typ, values)}}
	resp := &provider.ConfigureResponse{}
	p.Configure(ctx, req, resp)
	return resp
}

func TestConfigureInsecureWarns(t *testing.T) {
	p := &cbrProvider{version: "test", getenv: func(string) string { return "" }}
	base := map[string]tftypes.Value{
		"project_id": tftypes.NewValue(tftypes.String, "p"),
		"auth_token": tftypes.NewValue(tftypes.String, "t"),
		"region":     tftypes.NewValue(tftypes.String, "cn-north-4"),
	}
	resp := configure(t, p, base)
	if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() != 0 {
		t.Fatalf("secure configuration: %v", resp.Diagnostics)
	}
	if data, ok := resp.ResourceData.(*resourceData); !ok || data.client == nil || data.book == nil {
		t.Fatalf("ResourceData %T", resp.ResourceData)
	}

	base["insecure"] = tftypes.NewValue(tftypes.Bool, true)
	resp = configure(t, p, base)
	if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() != 1 {
		t.Fatalf("insecure: %v", resp.Diagnostics)
	}
	w := resp.Diagnostics.Warnings()[0]
	if w.Summary() != "TLS Certificate Verification Disabled" || !strings.Contains(w.Detail(), "set cacert_file instead") {
		t.Errorf("warning %q: %q", w.Summary(), w.Detail())
	}

	// The same from the environment.
	p.getenv = func(k string) string { return map[string]string{credentials.EnvInsecure: "true"}[k] }
	delete(base, "insecure")
	if resp := configure(t, p, base); resp.Diagnostics.WarningsCount() != 1 {
		t.Errorf("HW_INSECURE=true: %v", resp.Diagnostics)
	}
}
