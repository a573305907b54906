import Testing

@testable import ConveyorPostgres

@Suite("SQL scripts")
struct SQLScriptTests {
    @Test("a script splits on semicolons outside comments, strings and dollar-quoted bodies")
    func split() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE t (a text DEFAULT 'x;y');
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
            CREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 2; END $body$;
            SELECT "odd;name" FROM t
            """
        #expect(
            SQLScript.statements(script) == [
                "CREATE TABLE t (a text DEFAULT 'x;y')",
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$",
                "CREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 2; END $body$",
                "SELECT \"odd;name\" FROM t",
            ])
    }

    @Test("every bundled migration splits into statements, none of them empty")
    func bundled() {
        for migration in PostgresMigrator.bundled {
            let statements = SQLScript.statements(migration.sql)
            #expect(!statements.isEmpty, "\(migration.label)")
        }
        #expect(
            SQLScript.statements(PostgresMigrator.bundled.first { $0.name == "find_stale_jobs" }?.sql ?? "").count == 2)
    }
}
