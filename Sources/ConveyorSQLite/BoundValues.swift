import GRDB
import GRDBSQLite

/// BoundValues runs a cached statement once with its values bound in C, for the writes a drain
/// makes for every job (the claim's and the completion's update, each event): GRDB's arguments
/// box each value, which cost a third of such a write.
enum BoundValues {
    /// A value of one parameter.
    enum Value {
        case text(String?)
        case integer(Int64?)
    }

    /// Binds `values` to `statement`'s parameters in order and steps it once.
    static func execute(_ statement: Statement, _ values: [Value], _ db: Database) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        defer { sqlite3_reset(handle) }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .text(let text?): bind(handle, index, text)
            case .integer(let number?): sqlite3_bind_int64(handle, index, number)
            case .text(nil), .integer(nil): sqlite3_bind_null(handle, index)
            }
        }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                sql: statement.sql)
        }
    }

    /// Binds text, copied by SQLite (its "transient" destructor) before the call returns.
    private static func bind(_ handle: SQLiteStatement, _ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            // An empty string may have no storage: bound as "" then, never as NULL.
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                _ = sqlite3_bind_text(handle, index, "", 0, transient)
                return
            }
            _ = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(handle, index, $0, Int32(bytes.count), transient)
            }
        }
    }

    /// SQLite's SQLITE_TRANSIENT, which C defines as a cast Swift does not import.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
