// One socket call the network watch saw inside a sandbox (NetworkWatch.swift), and the decoding of
// the socket address the call named. The address bytes come from the sandboxed process's memory, so
// they are untrusted: any length, any family, cut short when the process unmapped them.
//
// struct sockaddr layouts (Linux, <netinet/in.h>, <sys/un.h>, <linux/if_packet.h>, <linux/netlink.h>);
// the family is host-endian (little), ports and addresses network order (big):
//   AF_INET     family u16 | port u16be | addr[4]                       (16 bytes with padding)
//   AF_INET6    family u16 | port u16be | flowinfo u32 | addr[16] | scope u32   (28)
//   AF_UNIX     family u16 | path[≤108]: NUL-terminated, or abstract when path[0] == 0 (length-delimited)
//   AF_PACKET   family u16 | protocol u16be | ifindex i32 | …
//   AF_NETLINK  family u16 | pad u16 | pid u32 | groups u32

import Foundation

public struct SocketCall: Equatable, Sendable, Codable {
    public enum Call: String, Equatable, Sendable, Codable { case socket, connect, sendto }
    /// `network`: a socket family that reaches beyond the machine (inet, inet6, packet, vsock, …) or
    /// one that could not be told (fail safe). `local`: unix (IPC: X11, D-Bus) and netlink.
    public enum Scope: String, Equatable, Sendable, Codable { case network, local }

    /// Per watch, from 0, in the order the supervisor received the calls.
    public var sequence: UInt64
    /// CLOCK_MONOTONIC seconds when it was received.
    public var uptime: Double
    /// Host id of the calling thread (the process id for a single-threaded program).
    public var pid: Int32
    /// /proc/<pid>/exe, read while the call was blocked; nil when unreadable.
    public var executable: String?
    public var call: Call
    /// `inet`, `inet6`, `unix`, `packet`, `netlink`, … or `family <n>`; `unknown` when unreadable.
    public var family: String
    /// `192.0.2.1:80`, `[2001:db8::1]:443`, `/tmp/.X11-unix/X1`, `@abstract`; nil for socket().
    public var address: String?
    /// `stream`, `dgram`, `raw`, `seqpacket`, … when known.
    public var socketType: String?
    public var scope: Scope
    /// Anything that makes the record less certain (address unreadable, the caller gone before the
    /// record was verified).
    public var note: String?

    /// "connect inet 192.0.2.1:80 by /usr/bin/bash": what policy requests and the audit summary show.
    public var summary: String {
        var s = "\(call.rawValue) \(family)"
        if let socketType, call == .socket { s += " \(socketType)" }
        if let address { s += " \(address)" }
        return s + " by \(executable ?? "pid \(pid)")"
    }
}

enum SocketAddress {
    static let families: [Int: String] = [0: "unspec", 1: "unix", 2: "inet", 10: "inet6", 16: "netlink", 17: "packet",
                                          31: "bluetooth", 29: "can", 40: "vsock"]
    static let types: [Int: String] = [1: "stream", 2: "dgram", 3: "raw", 4: "rdm", 5: "seqpacket", 10: "packet"]

    static func familyName(_ family: Int) -> String { families[family] ?? "family \(family)" }
    /// SOCK_NONBLOCK and SOCK_CLOEXEC share the type argument; the type is the low 4 bits.
    static func typeName(_ type: Int) -> String { types[type & 0xf] ?? "type \(type & 0xf)" }
    static func scope(ofFamily family: Int) -> SocketCall.Scope { [1, 16].contains(family) ? .local : .network }

    /// The family (nil when fewer than 2 bytes) and the address as text.
    static func describe(_ bytes: [UInt8]) -> (family: Int?, text: String) {
        guard bytes.count >= 2 else { return (nil, "unreadable (\(bytes.count) bytes)") }
        let family = Int(bytes[0]) | Int(bytes[1]) << 8
        let body = Array(bytes[2...])
        func port(_ at: Int) -> Int { Int(body[at]) << 8 | Int(body[at + 1]) }
        switch family {
        case 0:
            return (family, "unspecified (dissolves the association)")
        case 2:
            guard body.count >= 6 else { return (family, "short inet address (\(bytes.count) bytes)") }
            return (family, body[2..<6].map(String.init).joined(separator: ".") + ":\(port(0))")
        case 10:
            guard body.count >= 22 else { return (family, "short inet6 address (\(bytes.count) bytes)") }
            return (family, "[\(ipv6(Array(body[6..<22])))]:\(port(0))")
        case 1:
            if body.isEmpty { return (family, "unnamed") }
            if body[0] == 0 { return (family, "@" + printable(body.dropFirst())) }
            return (family, printable(body.prefix { $0 != 0 }))
        case 17:
            guard body.count >= 6 else { return (family, "short packet address (\(bytes.count) bytes)") }
            let index = Int32(bitPattern: UInt32(body[2]) | UInt32(body[3]) << 8 | UInt32(body[4]) << 16 | UInt32(body[5]) << 24)
            return (family, String(format: "ifindex %d protocol 0x%04x", index, port(0)))
        case 16:
            guard body.count >= 6 else { return (family, "short netlink address (\(bytes.count) bytes)") }
            let pid = UInt32(body[2]) | UInt32(body[3]) << 8 | UInt32(body[4]) << 16 | UInt32(body[5]) << 24
            return (family, "netlink port \(pid)")
        default:
            return (family, "\(familyName(family)) address of \(bytes.count) bytes")
        }
    }

    /// RFC 5952 text: lower case, the longest run (≥ 2) of zero groups as "::".
    static func ipv6(_ a: [UInt8]) -> String {
        let groups = (0..<8).map { Int(a[2 * $0]) << 8 | Int(a[2 * $0 + 1]) }
        var bestStart = -1, bestLength = 0, i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLength { bestStart = i; bestLength = j - i }
                i = j
            } else { i += 1 }
        }
        func hex(_ g: ArraySlice<Int>) -> String { g.map { String($0, radix: 16) }.joined(separator: ":") }
        guard bestLength >= 2 else { return hex(groups[...]) }
        return hex(groups[..<bestStart]) + "::" + hex(groups[(bestStart + bestLength)...])
    }

    /// Bytes as text with anything outside printable ASCII escaped (\xNN), at most 108 of them.
    static func printable<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = ""
        for b in bytes.prefix(108) {
            if b >= 0x20 && b < 0x7f && b != UInt8(ascii: "\\") { s.append(Character(UnicodeScalar(b))) } else { s += String(format: "\\x%02x", b) }
        }
        return s
    }
}
