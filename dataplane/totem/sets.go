package totem

import "slices"

// Node sets (proc, fail, member lists) are sorted, duplicate-free slices of
// node ids. Membership changes are rare, so these helpers favour clarity
// over avoiding the odd allocation.

func setOf(ids []uint32) []uint32 {
	s := slices.Clone(ids)
	slices.Sort(s)
	return slices.Compact(s)
}

func setHas(s []uint32, id uint32) bool {
	_, ok := slices.BinarySearch(s, id)
	return ok
}

func setAdd(s []uint32, ids ...uint32) []uint32 {
	for _, id := range ids {
		if i, ok := slices.BinarySearch(s, id); !ok {
			s = slices.Insert(s, i, id)
		}
	}
	return s
}

func setMinus(a, b []uint32) []uint32 {
	out := make([]uint32, 0, len(a))
	for _, id := range a {
		if !setHas(b, id) {
			out = append(out, id)
		}
	}
	return out
}

func setAnd(a, b []uint32) []uint32 {
	out := make([]uint32, 0, min(len(a), len(b)))
	for _, id := range a {
		if setHas(b, id) {
			out = append(out, id)
		}
	}
	return out
}

func setSubset(sub, full []uint32) bool {
	for _, id := range sub {
		if !setHas(full, id) {
			return false
		}
	}
	return true
}
