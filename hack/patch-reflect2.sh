#!/usr/bin/env bash
# Patches a vendored github.com/modern-go/reflect2 v1.0.1 for Go >= 1.18, as reflect2 v1.0.2 did:
# since Go 1.18 reflect.mapiterinit takes the iterator as a third argument (the caller allocates
# it), and hiter must have the runtime's full layout, or the first map iteration through
# reflect2 (the first custom-resource write in kube-apiserver) dies with `fatal error: fault`.
# Idempotent; fails loudly when the source is not the shape it expects.
set -euo pipefail
dir="$1"
python3 - "$dir" <<'PY'
import pathlib, sys
d = pathlib.Path(sys.argv[1])
link, umap = d / "unsafe_link.go", d / "unsafe_map.go"
ls, ms = link.read_text(), umap.read_text()
if "m unsafe.Pointer, it *hiter)" in ls:
    print("reflect2 already patched"); sys.exit(0)
old_sig = "func mapiterinit(rtype unsafe.Pointer, m unsafe.Pointer) *hiter"
old_hiter = """type hiter struct {
	key   unsafe.Pointer // Must be in first position.  Write nil to indicate iteration end (see cmd/internal/gc/range.go).
	value unsafe.Pointer // Must be in second position (see cmd/internal/gc/range.go).
	// rest fields are ignored
}"""
new_hiter = """type hiter struct {
	key         unsafe.Pointer
	value       unsafe.Pointer
	t           unsafe.Pointer
	h           unsafe.Pointer
	buckets     unsafe.Pointer
	bptr        unsafe.Pointer
	overflow    *[]unsafe.Pointer
	oldoverflow *[]unsafe.Pointer
	startBucket uintptr
	offset      uint8
	wrapped     bool
	B           uint8
	i           uint8
	bucket      uintptr
	checkBucket uintptr
}"""
old_iter = """	return &UnsafeMapIterator{
		hiter:      mapiterinit(type2.rtype, *(*unsafe.Pointer)(obj)),"""
new_iter = """	var it hiter
	mapiterinit(type2.rtype, *(*unsafe.Pointer)(obj), &it)
	return &UnsafeMapIterator{
		hiter:      &it,"""
checks = [(old_sig, ls, "unsafe_link.go signature"), (old_hiter, ls, "unsafe_link.go hiter"),
          (old_iter, ms, "unsafe_map.go UnsafeIterate")]
for needle, text, name in checks:
    if needle not in text:
        sys.exit(f"reflect2 patch: {name} not found; is this reflect2 v1.0.1?")
new_sig = "func mapiterinit(rtype unsafe.Pointer, m unsafe.Pointer, it *hiter)"
ls = ls.replace(old_sig, new_sig).replace(old_hiter, new_hiter)
ms = ms.replace(old_iter, new_iter)
link.write_text(ls); umap.write_text(ms)
print("reflect2 patched for Go >= 1.18")
PY
