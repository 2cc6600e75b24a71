package main

import (
	"encoding/json"

	"github.com/cbr-sync/terraform-provider-cbr/internal/cbrfake"
)

// writeStatsFile writes the fake's statistics (what GET /_fake/stats
// answers) to path, atomically.
func writeStatsFile(path string, fake *cbrfake.Server) error {
	data, err := json.MarshalIndent(fake.Stats(), "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'))
}
