package oracle

import "slices"

// Node lists are tiny (a cluster has a handful of nodes), so these helpers
// scan or merge without allocating. The merge-based ones require sorted,
// duplicate-free input; callers check that first (E4) and skip the algebra
// when it does not hold, so a malformed list is reported once, as E4.

// sortSmall sorts a node list in place; insertion sort for the usual size.
func sortSmall(s []uint32) {
	if len(s) > 16 {
		slices.Sort(s)
		return
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// sortedUnique reports whether s is strictly ascending.
func sortedUnique(s []uint32) bool {
	for i := 1; i < len(s); i++ {
		if s[i] <= s[i-1] {
			return false
		}
	}
	return true
}

// contains works on any list, sorted or not.
func contains(s []uint32, x uint32) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// subset reports whether every element of a is in b (both sorted unique).
func subset(a, b []uint32) bool {
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j == len(b) || b[j] != x {
			return false
		}
		j++
	}
	return true
}

// missing returns the first element of a that is not in b (any order) and
// whether there is one; used for SAFE where HeldBy may come unsorted.
func missing(a, b []uint32) (uint32, bool) {
	if sortedUnique(a) && sortedUnique(b) {
		j := 0
		for _, x := range a {
			for j < len(b) && b[j] < x {
				j++
			}
			if j == len(b) || b[j] != x {
				return x, true
			}
			j++
		}
		return 0, false
	}
	for _, x := range a {
		if !contains(b, x) {
			return x, true
		}
	}
	return 0, false
}

// diffIs reports whether a − b equals want (all sorted unique).
func diffIs(a, b, want []uint32) bool {
	j, k := 0, 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j < len(b) && b[j] == x {
			continue
		}
		if k == len(want) || want[k] != x {
			return false
		}
		k++
	}
	return k == len(want)
}
