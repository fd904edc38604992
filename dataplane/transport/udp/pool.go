package udp

// pool is the receive buffer pool: n buffers of size bytes carved from one
// slab, and a stack of the free ones. A handle given to the caller is the
// buffer's index plus one, so that the zero Received (handle 0) names no
// buffer: releasing it is counted as an error and changes nothing.
type pool struct {
	slab []byte
	size int
	free []int32 // indices of free buffers; the top is reused first (warm in cache)
	lent []bool  // catches double and foreign releases
}

func newPool(n, size int) pool {
	p := pool{
		slab: make([]byte, n*size),
		size: size,
		free: make([]int32, n),
		lent: make([]bool, n),
	}
	for i := range p.free {
		p.free[i] = int32(n - 1 - i) // buffer 0 on top
	}
	return p
}

// get takes a free buffer; the caller has checked len(p.free) > 0.
func (p *pool) get() int32 {
	i := p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	p.lent[i] = true
	return i
}

// put returns buffer i; false if it was not lent (a caller bug, counted).
func (p *pool) put(i int32) bool {
	if i < 0 || int(i) >= len(p.lent) || !p.lent[i] {
		return false
	}
	p.lent[i] = false
	p.free = append(p.free, i) // never grows: cap is the pool size
	return true
}

// buf is buffer i, its capacity capped so an append cannot reach the next.
func (p *pool) buf(i int32, n int) []byte {
	off := int(i) * p.size
	return p.slab[off : off+n : off+p.size]
}
