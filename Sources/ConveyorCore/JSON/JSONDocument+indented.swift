extension JSONDocument {
    /// The document laid out for reading — one member or element a line, two spaces a level —
    /// with every name and scalar exactly as written (numbers, escapes and duplicate names kept),
    /// so what is shown is what was sent, only spaced out.
    public func indented() -> String {
        var out = ""
        write(root, depth: 0, to: &out)
        return out
    }

    private func write(_ node: JSONNode, depth: Int, to out: inout String) {
        let inner = String(repeating: "  ", count: depth + 1)
        switch node.kind {
        case .array(let elements) where !elements.isEmpty:
            out += "[\n"
            for (index, element) in elements.enumerated() {
                out += inner
                write(element, depth: depth + 1, to: &out)
                out += index == elements.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: depth) + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            for (index, member) in members.enumerated() {
                out += inner + String(decoding: bytes[member.nameSpan], as: UTF8.self) + ": "
                write(member.value, depth: depth + 1, to: &out)
                out += index == members.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: depth) + "}"
        case .array: out += "[]"
        case .object: out += "{}"
        default: out += text(of: node)
        }
    }
}
