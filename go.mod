module github.com/cbr-sync/terraform-provider-cbr

go 1.26.8

// What the provider, its tests, the fake CBR API and bench/ import; nothing
// else. Development tools (golangci-lint, GoReleaser, tfplugindocs) have their
// own module in tools/go.mod.
require (
	// the resource's id
	github.com/google/uuid v1.6.0
	// tests: the types of the plan and state checks of terraform-plugin-testing
	github.com/hashicorp/terraform-json v0.27.3-0.20260213134036-298b8f6b673a
	// the provider framework: provider, resource, data source, schemas
	github.com/hashicorp/terraform-plugin-framework v1.19.0
	// the timeouts = { create } attribute of cbr_backup_sync
	github.com/hashicorp/terraform-plugin-framework-timeouts v0.7.0
	// attribute validators (list size, string length, ...)
	github.com/hashicorp/terraform-plugin-framework-validators v0.19.0
	// protocol 6 (tfprotov6): the server under the framework, and the tests' provider factories
	github.com/hashicorp/terraform-plugin-go v0.31.0
	// the provider's logs (tflog), including the client's redacted API exchanges
	github.com/hashicorp/terraform-plugin-log v0.11.0
	// acceptance tests through the real Terraform CLI
	github.com/hashicorp/terraform-plugin-testing v1.16.0
	// the official CBR request models and the SDK-HMAC-SHA256 request signer
	github.com/huaweicloud/huaweicloud-sdk-go-v3 v0.1.207
	// tests: decode the served path's answers as Terraform does, to compare them
	// with the framework's
	github.com/zclconf/go-cty v1.18.1
	// http/httpproxy: HTTPS_PROXY/NO_PROXY read through the provider's injectable
	// environment (same rules as http.ProxyFromEnvironment)
	golang.org/x/net v0.61.0
	// singleflight: one IAM token and one project lookup shared by concurrent calls
	golang.org/x/sync v0.24.0
	// grpc: bench/ calls a provider binary's GetProviderSchema directly to time its start-up
	// (already required by terraform-plugin-go).
	google.golang.org/grpc v1.83.1
)

require (
	dario.cat/mergo v1.0.2 // indirect
	github.com/ProtonMail/go-crypto v1.4.1 // indirect
	github.com/agext/levenshtein v1.2.3 // indirect
	github.com/apparentlymart/go-textseg/v15 v15.0.0 // indirect
	github.com/cloudflare/circl v1.6.3 // indirect
	github.com/cyphar/filepath-securejoin v0.5.1 // indirect
	github.com/fatih/color v1.19.0 // indirect
	github.com/go-test/deep v1.1.1 // indirect
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/hashicorp/errwrap v1.1.0 // indirect
	github.com/hashicorp/go-checkpoint v0.5.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-cty v1.5.0 // indirect
	github.com/hashicorp/go-hclog v1.6.3 // indirect
	github.com/hashicorp/go-multierror v1.1.1 // indirect
	github.com/hashicorp/go-plugin v1.7.0 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/hashicorp/go-uuid v1.0.3 // indirect
	github.com/hashicorp/go-version v1.9.0 // indirect
	github.com/hashicorp/hc-install v0.9.4 // indirect
	github.com/hashicorp/hcl/v2 v2.24.0 // indirect
	github.com/hashicorp/logutils v1.0.0 // indirect
	github.com/hashicorp/terraform-exec v0.25.1 // indirect
	github.com/hashicorp/terraform-plugin-sdk/v2 v2.40.0 // indirect
	github.com/hashicorp/terraform-registry-address v0.4.0 // indirect
	github.com/hashicorp/terraform-svchost v0.2.1 // indirect
	github.com/hashicorp/yamux v0.1.2 // indirect
	github.com/json-iterator/go v1.1.13-0.20220915233716-71ac16282d12 // indirect
	github.com/mattn/go-colorable v0.1.16 // indirect
	github.com/mattn/go-isatty v0.0.22 // indirect
	github.com/mitchellh/copystructure v1.2.0 // indirect
	github.com/mitchellh/go-testing-interface v1.14.1 // indirect
	github.com/mitchellh/go-wordwrap v1.0.1 // indirect
	github.com/mitchellh/mapstructure v1.5.1-0.20231216201459-8508981c8b6c // indirect
	github.com/mitchellh/reflectwalk v1.0.2 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.3-0.20250322232337-35a7c28c31ee // indirect
	github.com/oklog/run v1.2.0 // indirect
	github.com/rogpeppe/go-internal v1.16.0 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	github.com/tjfoc/gmsm v1.4.1 // indirect
	github.com/vmihailenco/msgpack v4.0.4+incompatible // indirect
	github.com/vmihailenco/msgpack/v5 v5.4.1 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	go.mongodb.org/mongo-driver v1.17.6 // indirect
	go.opentelemetry.io/otel v1.45.0 // indirect
	go.opentelemetry.io/otel/sdk/metric v1.45.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	golang.org/x/tools v0.52.0 // indirect
	google.golang.org/appengine v1.6.8 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260819154853-08b0e4226688 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
	gopkg.in/ini.v1 v1.67.1 // indirect
)
