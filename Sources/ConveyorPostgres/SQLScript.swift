import Foundation

/// SQLScript splits a migration file into its statements. PostgresNIO sends every query as a
/// prepared statement, which holds one command, so a file of several is run one by one. The split
/// honours `--` comments, quoted strings and identifiers, and dollar-quoted bodies (`$$ … $$`,
/// `$tag$ … $tag$`), where a semicolon does not end a statement.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var characters = Array(script)[...]
        while let character = characters.popFirst() {
            switch character {
            case "-" where characters.first == "-":
                // A comment runs to the end of the line; it is dropped.
                while let next = characters.first, next != "\n" { characters.removeFirst() }
            case "'", "\"":
                current.append(character)
                while let next = characters.popFirst() {
                    current.append(next)
                    if next == character { break }
                }
            case "$":
                let tagEnd = characters.firstIndex { !($0.isLetter || $0.isNumber || $0 == "_") }
                if let tagEnd, characters[tagEnd] == "$" {
                    let tag = "$" + String(characters[..<tagEnd]) + "$"
                    characters = characters[characters.index(after: tagEnd)...]
                    current += tag
                    var body = ""
                    while let next = characters.popFirst() {
                        body.append(next)
                        if body.hasSuffix(tag) { break }
                    }
                    current += body
                } else {
                    current.append(character)
                }
            case ";":
                append(&statements, current)
                current = ""
            default:
                current.append(character)
            }
        }
        append(&statements, current)
        return statements
    }

    private static func append(_ statements: inout [String], _ statement: String) {
        let trimmed = statement.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { statements.append(trimmed) }
    }
}
