import { describe, expect, it } from 'vitest';
import { databaseScope } from './database-scope.js';

const refused = (sql: string) => databaseScope(sql)?.action === 'refuse';

describe('databaseScope', () => {
  it('drops the database statements of mariadb-dump --databases --add-drop-database, versioned comments included', () => {
    expect(databaseScope('/*!40000 DROP DATABASE IF EXISTS `app`*/')).toMatchObject({ action: 'drop', database: 'app', what: 'drops the database app' });
    expect(databaseScope('CREATE DATABASE /*!32312 IF NOT EXISTS*/ `app` /*!40100 DEFAULT CHARACTER SET utf8mb4 */')).toMatchObject({ action: 'drop', selects: 'app' });
    expect(databaseScope('\n-- Current Database: `app`\n--\n\nUSE `app`')).toMatchObject({ action: 'drop', selects: 'app' });
    expect(databaseScope('ALTER DATABASE `app` CHARACTER SET latin1 COLLATE latin1_swedish_ci')).toMatchObject({ action: 'drop', database: 'app' });
    expect(databaseScope('/*!50003 ALTER SCHEMA other DEFAULT CHARACTER SET utf8 */')).toMatchObject({ action: 'drop', database: 'other' });
    expect(databaseScope('create or replace schema x')).toMatchObject({ action: 'drop', selects: 'x' });
    // Without a name, ALTER DATABASE is about the default database: the destination.
    expect(databaseScope('ALTER DATABASE CHARACTER SET utf8mb4')).toBeUndefined();
  });

  it('refuses names in another database, in DDL, DML and routine bodies', () => {
    expect(databaseScope('CREATE TABLE `other`.`t` (id int)')).toMatchObject({ action: 'refuse', database: 'other', what: 'names other.t, in the database other' });
    expect(refused('DROP TABLE IF EXISTS a, other.b')).toBe(true);
    expect(refused('/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`%` SQL SECURITY DEFINER */ /*!50001 VIEW `v` AS select `x`.`id` AS `id` from `other`.`x` */')).toBe(true);
    expect(refused('CREATE DEFINER=`root`@`localhost` PROCEDURE other_db.x() SELECT 1')).toBe(true);
    expect(refused('CREATE DEFINER=`root`@`localhost` PROCEDURE p() BEGIN UPDATE prod.users SET email = NULL; END')).toBe(true);
    expect(refused('/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 TRIGGER tr AFTER INSERT ON t FOR EACH ROW INSERT INTO audit.log VALUES (NEW.id) */')).toBe(true);
    expect(refused('/*!50003 CREATE*/ /*!50003 TRIGGER tr AFTER INSERT ON other.t FOR EACH ROW SET @x = 1 */')).toBe(true);
    expect(refused('INSERT INTO t SELECT * FROM a JOIN other.b ON a.id = b.id')).toBe(true);
    expect(refused('SELECT prod.t.email FROM t')).toBe(true);
    expect(refused('SELECT prod.wipe_all(1)')).toBe(true);
    expect(refused('CALL other.p()')).toBe(true);
    expect(refused('LOCK TABLES t WRITE, other.u READ')).toBe(true);
    expect(refused('RENAME TABLE t TO other.t')).toBe(true);
    expect(refused('ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES other.p (id)')).toBe(true);
    expect(refused('CREATE TABLE t (LIKE other.t)')).toBe(true);
    expect(refused('CREATE INDEX i ON other.t (a)')).toBe(true);
    expect(refused('CREATE PROCEDURE p() BEGIN DROP DATABASE prod; END')).toBe(true);
    expect(refused('CREATE TABLE t ("a" int) SELECT * FROM "other"."t"')).toBe(true);
  });

  it('refuses client commands and server-wide statements', () => {
    expect(databaseScope('\\! rm -rf /')).toMatchObject({ action: 'refuse', what: 'holds the mysql client command \\!' });
    expect(refused('system rm -rf /')).toBe(true);
    expect(refused('source /etc/passwd')).toBe(true);
    expect(refused("GRANT ALL ON *.* TO 'x'@'%'")).toBe(true);
    expect(refused("CREATE USER 'x'@'%' IDENTIFIED BY 'y'")).toBe(true);
    expect(refused('SET GLOBAL max_connections = 1')).toBe(true);
    expect(refused("SET @@GLOBAL.read_only = 1")).toBe(true);
    expect(refused("SELECT * FROM t INTO OUTFILE '/tmp/x'")).toBe(true);
    expect(refused("LOAD DATA INFILE '/etc/passwd' INTO TABLE t")).toBe(true);
    expect(databaseScope("SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'abc:1-5'")).toMatchObject({ action: 'drop' });
    expect(databaseScope('SET @@SESSION.SQL_LOG_BIN= 0')).toMatchObject({ action: 'drop' });
  });

  it('keeps what mariadb-dump writes for one database', () => {
    for (const sql of [
      '/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\n/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */',
      "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */",
      'SET @@SESSION.sql_mode = @saved',
      'DROP TABLE IF EXISTS `t`',
      'CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  `at` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),\n  CONSTRAINT `fk` FOREIGN KEY (`p`) REFERENCES `p` (`id`) ON DELETE CASCADE\n) ENGINE=InnoDB',
      'LOCK TABLES `t` WRITE',
      '/*!40000 ALTER TABLE `t` DISABLE KEYS */',
      '/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`127.0.0.1`*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.name = UPPER(NEW.name) \n*/',
      '/*!50001 VIEW `v` AS select `t`.`id` AS `id`,extract(year from `t`.`d`) AS `y`,trim(both \'x\' from `t`.`s`) AS `s` from (`t` join `u` on(`t`.`id` = `u`.`id`)) where `t`.`a` > 1.5 order by `t`.`id`',
      'INSERT INTO t (a) SELECT u.a FROM u WHERE u.b = 2 ON DUPLICATE KEY UPDATE t.a = u.a',
      'CREATE DEFINER=`root`@`127.0.0.1` PROCEDURE `p`()\nBEGIN SELECT t.a INTO @x FROM t; UPDATE t SET t.a = 1 WHERE t.b IN (SELECT u.b FROM u); END',
      'SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()',
      "INSERT INTO `t` VALUES (1,'O\\'Connell.x'),(2,'a.b.c')",
      'SELECT .5, 1.5e3, t.x FROM t',
      'ALTER TABLE t RENAME COLUMN a TO b',
    ]) {
      expect(databaseScope(sql), sql).toBeUndefined();
    }
  });
});
