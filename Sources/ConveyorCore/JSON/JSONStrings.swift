/// JSONStrings reads the strings of an already-parsed document: escapes resolved, surrogate
/// pairs joined. A lone surrogate (`\ud800` alone) is legal JSON but no character; it is reported
/// so that a field needing text can refuse it, while a payload keeps it as written.
enum JSONStrings {
    /// The text of a string's span (quotes included), and whether every surrogate in it is paired.
    static func decode(_ span: ArraySlice<UInt8>) -> (text: String, wellFormed: Bool) {
        let units = codeUnits(span)
        var wellFormed = true
        var index = 0
        while index < units.count {
            if UTF16.isLeadSurrogate(units[index]), index + 1 < units.count, UTF16.isTrailSurrogate(units[index + 1]) {
                index += 2
                continue
            }
            if UTF16.isLeadSurrogate(units[index]) || UTF16.isTrailSurrogate(units[index]) { wellFormed = false }
            index += 1
        }
        return (String(decoding: units, as: UTF16.self), wellFormed)
    }

    /// The UTF-16 code units of a string's span (quotes included), escapes resolved.
    static func codeUnits(_ span: ArraySlice<UInt8>) -> [UInt16] {
        var units: [UInt16] = []
        units.reserveCapacity(span.count)
        var index = span.startIndex + 1
        let end = span.endIndex - 1
        var raw: [UInt8] = []
        func flush() {
            guard !raw.isEmpty else { return }
            units.append(contentsOf: String(decoding: raw, as: UTF8.self).utf16)
            raw.removeAll(keepingCapacity: true)
        }
        while index < end {
            let byte = span[index]
            guard byte == UInt8(ascii: "\\") else {
                raw.append(byte)
                index += 1
                continue
            }
            flush()
            let escape = span[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): units.append(0x08)
            case UInt8(ascii: "f"): units.append(0x0C)
            case UInt8(ascii: "n"): units.append(0x0A)
            case UInt8(ascii: "r"): units.append(0x0D)
            case UInt8(ascii: "t"): units.append(0x09)
            case UInt8(ascii: "u"):
                var unit: UInt16 = 0
                for digit in span[index..<index + 4] { unit = unit << 4 | UInt16(hexValue(digit) ?? 0) }
                units.append(unit)
                index += 4
            default: units.append(UInt16(escape))  // `"`, `\` and `/` stand for themselves.
            }
        }
        flush()
        return units
    }

    static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// One spelling for every way of writing the same string: characters as UTF-8, escaped only
    /// where JSON requires it (`"`, `\`, control characters), a lone surrogate as `\uxxxx`.
    static func canonical(_ units: [UInt16], into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var index = 0
        while index < units.count {
            let unit = units[index]
            let scalar: Unicode.Scalar?
            if UTF16.isLeadSurrogate(unit), index + 1 < units.count, UTF16.isTrailSurrogate(units[index + 1]) {
                let value = 0x10000 + (UInt32(unit - 0xD800) << 10) + UInt32(units[index + 1] - 0xDC00)
                scalar = Unicode.Scalar(value)
                index += 2
            } else {
                scalar = Unicode.Scalar(unit)
                index += 1
            }
            guard let scalar, scalar.value >= 0x20 else {
                output.append(contentsOf: Array("\\u".utf8) + hex4(unit))
                continue
            }
            if scalar == "\"" || scalar == "\\" { output.append(UInt8(ascii: "\\")) }
            output.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func hex4(_ unit: UInt16) -> [UInt8] {
        let digits = Array(String(unit, radix: 16).utf8)
        return Array(repeating: UInt8(ascii: "0"), count: 4 - digits.count) + digits
    }
}

extension JSONDocument {
    /// The value's canonical spelling: no white space, object members ordered by name (members of
    /// one name keep their order), strings spelled one way, numbers as written. Two documents
    /// that differ only in spelling have the same canonical form; `1.5` and `1.50` do not, since
    /// a worker receives their bytes.
    public func canonical(_ node: JSONNode? = nil) -> [UInt8] {
        var output: [UInt8] = []
        write(node ?? root, into: &output)
        return output
    }

    private func write(_ node: JSONNode, into output: inout [UInt8]) {
        switch node.kind {
        case .null, .bool, .number: output.append(contentsOf: bytes[node.span])
        case .string: JSONStrings.canonical(JSONStrings.codeUnits(bytes[node.span]), into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                write(element, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            let named = members.enumerated().map { position, member in
                var name: [UInt8] = []
                JSONStrings.canonical(JSONStrings.codeUnits(bytes[member.nameSpan]), into: &name)
                return (name: name, position: position, value: member.value)
            }
            // Ties broken by position: members of one name keep the order they were written in.
            let ordered = named.sorted {
                $0.name == $1.name ? $0.position < $1.position : $0.name.lexicographicallyPrecedes($1.name)
            }
            for (index, (name, _, value)) in ordered.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                output.append(contentsOf: name)
                output.append(UInt8(ascii: ":"))
                write(value, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }
}
