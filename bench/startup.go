package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// The start-up measurement does what Terraform does to get a provider's schema,
// and nothing else: start the binary with the go-plugin handshake environment,
// read the handshake line it prints once its gRPC server listens, connect and
// call tfplugin6.Provider/GetProviderSchema. The request message is empty and
// the answer is kept as raw protobuf bytes, so no generated protocol code is
// needed.

// Terraform's go-plugin handshake for providers (terraform-plugin-go tf6server).
const (
	magicCookieKey   = "TF_PLUGIN_MAGIC_COOKIE"
	magicCookieValue = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
)

// rawCodec passes protobuf bytes through unchanged.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
	}
	return *b, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	*b = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// startup is one measurement of a provider's start.
type startup struct {
	Handshake   time.Duration // from exec to the handshake line
	Schema      time.Duration // from exec to the GetProviderSchema answer
	SchemaBytes int           // size of the answer
}

// measureStartup starts the provider binary once and times it to its schema.
func measureStartup(ctx context.Context, binary, wantInSchema string) (startup, error) {
	var res startup
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = append(os.Environ(), magicCookieKey+"="+magicCookieValue, "PLUGIN_PROTOCOL_VERSIONS=6")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return res, fmt.Errorf("no handshake line (%v): %s", err, stderr.String())
	}
	res.Handshake = time.Since(start)
	// core-version|app-version|network|address|protocol[|cert]
	parts := strings.Split(strings.TrimSpace(line), "|")
	if len(parts) < 5 || parts[1] != "6" || parts[4] != "grpc" {
		return res, fmt.Errorf("unexpected handshake line %q", line)
	}
	network, address := parts[2], parts[3]
	conn, err := grpc.NewClient("passthrough:///provider",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, address)
		}))
	if err != nil {
		return res, err
	}
	defer conn.Close()
	req, resp := []byte{}, []byte{}
	if err := conn.Invoke(ctx, "/tfplugin6.Provider/GetProviderSchema", &req, &resp, grpc.ForceCodec(rawCodec{})); err != nil {
		return res, fmt.Errorf("GetProviderSchema: %w", err)
	}
	res.Schema = time.Since(start)
	res.SchemaBytes = len(resp)
	if !bytes.Contains(resp, []byte(wantInSchema)) {
		return res, fmt.Errorf("the schema answer (%d bytes) does not mention %q", len(resp), wantInSchema)
	}
	// Stop it the way Terraform does; the deferred Kill is the fallback.
	empty := []byte{}
	_ = conn.Invoke(ctx, "/plugin.GRPCController/Shutdown", &req, &empty, grpc.ForceCodec(rawCodec{}))
	return res, nil
}
