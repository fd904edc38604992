package crypto

import "testing"

// BenchmarkSealOpen seals and opens one 1,400-byte frame per iteration (a
// full-MTU totem mcast); MB/s counts the frame once.
func BenchmarkSealOpen(b *testing.B) {
	cfgs := [][2]string{
		{"aes128", "sha256"}, {"aes192", "sha256"}, {"aes256", "sha256"},
		{"none", "md5"}, {"none", "sha1"}, {"none", "sha256"}, {"none", "sha384"}, {"none", "sha512"},
		{"none", "none"},
	}
	key := fixedKey(1, 256)
	for _, c := range cfgs {
		b.Run(c[0]+"-"+c[1], func(b *testing.B) {
			tx, rx := mustNew(b, c[0], c[1], key), mustNew(b, c[0], c[1], key)
			frame := randomFrame(b, 1400)
			sbuf := make([]byte, 0, len(frame)+tx.Overhead())
			obuf := make([]byte, 0, len(frame))
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				sealed, err := tx.Seal(sbuf, frame)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := rx.Open(obuf, sealed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
