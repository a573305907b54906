import Foundation

/// FormBody is an `application/x-www-form-urlencoded` body, as the dashboard's forms send it:
/// fields in order, a name given more than once (the ids of selected jobs) kept every time.
struct FormBody: Sendable {
    let fields: [(name: String, value: String)]

    /// Parses a body; `+` is a space, and percent escapes are decoded by `URLComponents`.
    init(_ text: String) {
        var components = URLComponents()
        components.percentEncodedQuery = text.replacingOccurrences(of: "+", with: "%20")
        fields = (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }
    }

    /// The first value of `name`, trimmed; nil when absent or empty.
    subscript(_ name: String) -> String? {
        guard let value = fields.first(where: { $0.name == name })?.value.trimmingCharacters(in: .whitespaces),
            !value.isEmpty
        else { return nil }
        return value
    }

    /// Every value of `name`.
    func all(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }
}
