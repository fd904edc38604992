// Package pcapfile reads classic libpcap capture files and extracts the UDP
// payloads of Ethernet/IPv4 frames. It exists so that tests can replay real
// corosync traffic without a cgo dependency on libpcap or a shell-out.
package pcapfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// UDPPacket is one UDP datagram found in a capture.
type UDPPacket struct {
	Index   int // position of the frame in the capture, from 0
	SrcIP   [4]byte
	DstIP   [4]byte
	SrcPort uint16
	DstPort uint16
	Payload []byte
}

const (
	globalHeaderSize = 24
	recordHeaderSize = 16
	linkTypeEthernet = 1
	etherTypeIPv4    = 0x0800
	ipProtoUDP       = 17
)

// ReadUDPFile reads path and returns every IPv4 UDP datagram in it, in order.
func ReadUDPFile(path string) ([]UDPPacket, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseUDP(data)
}

// ParseUDP parses a whole pcap file image. Frames that are not IPv4/UDP are
// skipped; truncated records are an error.
func ParseUDP(data []byte) ([]UDPPacket, error) {
	if len(data) < globalHeaderSize {
		return nil, errors.New("pcapfile: file shorter than the global header")
	}
	var order binary.ByteOrder
	switch binary.LittleEndian.Uint32(data) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		order = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		order = binary.BigEndian
	default:
		return nil, errors.New("pcapfile: not a pcap file (bad magic)")
	}
	if lt := order.Uint32(data[20:24]); lt != linkTypeEthernet {
		return nil, fmt.Errorf("pcapfile: link type %d unsupported (want Ethernet)", lt)
	}
	var out []UDPPacket
	off := globalHeaderSize
	for index := 0; off < len(data); index++ {
		if len(data)-off < recordHeaderSize {
			return nil, fmt.Errorf("pcapfile: record %d: truncated record header", index)
		}
		incl := int(order.Uint32(data[off+8 : off+12]))
		off += recordHeaderSize
		if incl < 0 || len(data)-off < incl {
			return nil, fmt.Errorf("pcapfile: record %d: truncated frame (%d bytes declared)", index, incl)
		}
		if p, ok := parseEthernetUDP(data[off : off+incl]); ok {
			p.Index = index
			out = append(out, p)
		}
		off += incl
	}
	return out, nil
}

func parseEthernetUDP(frame []byte) (UDPPacket, bool) {
	const ethHeader = 14
	if len(frame) < ethHeader+20 || binary.BigEndian.Uint16(frame[12:14]) != etherTypeIPv4 {
		return UDPPacket{}, false
	}
	ip := frame[ethHeader:]
	ihl := int(ip[0]&0x0f) * 4
	totalLen := int(binary.BigEndian.Uint16(ip[2:4]))
	if ip[0]>>4 != 4 || ihl < 20 || totalLen < ihl+8 || totalLen > len(ip) || ip[9] != ipProtoUDP {
		return UDPPacket{}, false
	}
	udp := ip[ihl:totalLen]
	udpLen := int(binary.BigEndian.Uint16(udp[4:6]))
	if udpLen < 8 || udpLen > len(udp) {
		return UDPPacket{}, false
	}
	var p UDPPacket
	copy(p.SrcIP[:], ip[12:16])
	copy(p.DstIP[:], ip[16:20])
	p.SrcPort = binary.BigEndian.Uint16(udp[0:2])
	p.DstPort = binary.BigEndian.Uint16(udp[2:4])
	p.Payload = udp[8:udpLen]
	return p, true
}
