package main

import (
	"fmt"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// BenchmarkCLIListConversion measures, in-process, the conversion Terraform
// and OpenTofu make of a `backups = [ {...}, ... ]` literal (schema version
// 1; version 2 takes an object keyed by backup ID, measured beside it as
// map_of_objects) (a tuple of
// objects) before they send it to the provider: to the list of objects the
// schema declares, as for cbr_backup_sync's backups, and to the dynamic
// type of terraform_data's input (the floor), which keeps the tuple as it
// is. go-cty is the library both CLIs use for it (Terraform 1.11.4 has
// v1.16.0; Terraform 1.15.9 and OpenTofu 1.12.6 have v1.18.0).
//
// The list conversion unifies the element types, and cty's unify compares
// every pair of them (convert.sortTypes), once per attribute of the objects:
// its time grows with the square of the number of backups, and the CLI does
// it each time it evaluates the resource (validate, plan, and again in the
// apply), in its own process. BENCHMARKS.md uses it to explain why one
// resource of 2,000 backups cannot come near the floor whatever the
// provider does.
//
//	go test -run '^$' -bench CLIListConversion ./bench/
func BenchmarkCLIListConversion(b *testing.B) {
	attrs := map[string]cty.Type{
		"backup_id": cty.String, "backup_name": cty.String, "bucket_name": cty.String, "image_path": cty.String,
		"resource_id": cty.String, "resource_name": cty.String, "resource_type": cty.String, "created_at": cty.Number,
		"operation_log_id": cty.String, "status": cty.String, "sync_state": cty.String,
	}
	// The nested attribute's type as the CLI decodes configuration with it:
	// the computed and optional attributes may be left out.
	elem := cty.ObjectWithOptionalAttrs(attrs, []string{"resource_type", "operation_log_id", "status", "sync_state"})
	for _, n := range []int{250, 500, 1000, 2000, 4000} {
		elems := make([]cty.Value, n)
		for i := range elems {
			id := fmt.Sprintf("be%06d-0000-4000-8000-0000000186a0", i)
			elems[i] = cty.ObjectVal(map[string]cty.Value{
				"backup_id": cty.StringVal(id), "backup_name": cty.StringVal(fmt.Sprintf("vm-%d", i)),
				"bucket_name": cty.StringVal("hybrid-backups-cn-north-4"), "image_path": cty.StringVal("6abec15e/" + id),
				"resource_id": cty.StringVal("96f7512d-239d-3f31-80cf-000000000000"), "resource_name": cty.StringVal("vm"),
				"resource_type": cty.StringVal("OS::Native::Server"), "created_at": cty.NumberIntVal(int64(1714521600 + i)),
			})
		}
		tuple := cty.TupleVal(elems)
		// The map form (schema version 2): `backups = { "<id>" = {...}, ... }`
		// or a for expression, an object keyed by backup ID, converted to
		// the map of objects the schema declares.
		keyed := make(map[string]cty.Value, n)
		for _, e := range elems {
			keyed[e.GetAttr("backup_id").AsString()] = e
		}
		object := cty.ObjectVal(keyed)
		for _, target := range []struct {
			name string
			in   cty.Value
			ty   cty.Type
		}{
			{"list_of_objects", tuple, cty.List(elem)}, {"dynamic", tuple, cty.DynamicPseudoType},
			{"map_of_objects", object, cty.Map(elem)}, {"dynamic_object", object, cty.DynamicPseudoType},
		} {
			b.Run(fmt.Sprintf("%s/%d", target.name, n), func(b *testing.B) {
				for b.Loop() {
					if _, err := convert.Convert(target.in, target.ty); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
