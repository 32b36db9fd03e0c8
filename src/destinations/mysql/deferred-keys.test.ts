import { describe, expect, it } from 'vitest';
import { deferKeys } from './deferred-keys.js';

// As SHOW CREATE TABLE writes it (MariaDB 10.11), after the dump's comment header.
const CHILD = `--
-- Table \`c\`
--
CREATE TABLE \`c\` (
  \`id\` int(11) NOT NULL AUTO_INCREMENT,
  \`p_id\` int(11) DEFAULT NULL,
  \`code\` varchar(10) DEFAULT 'a,b (c)' COMMENT 'it''s, \\\\ (odd)',
  \`note\` text DEFAULT NULL,
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`c_code\` (\`code\`),
  KEY \`k1\` (\`code\`(3),\`p_id\`) COMMENT 'hi, there',
  KEY \`fk1\` (\`p_id\`),
  FULLTEXT KEY \`ft\` (\`note\`),
  CONSTRAINT \`fk1\` FOREIGN KEY (\`p_id\`) REFERENCES \`p\` (\`id\`) ON DELETE CASCADE,
  CONSTRAINT \`chk\` CHECK (\`p_id\` > 0 or \`code\` in ('x,y','KEY \`z\`'))
) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`;

describe('deferKeys', () => {
  it('takes the secondary indexes and foreign keys out of a CREATE TABLE, keeping columns, primary key, FULLTEXT and CHECK', () => {
    const keys = deferKeys(CHILD)!;
    expect(keys.table).toBe('c');
    expect(keys.create).toBe(`--
-- Table \`c\`
--
CREATE TABLE \`c\` (
  \`id\` int(11) NOT NULL AUTO_INCREMENT,
  \`p_id\` int(11) DEFAULT NULL,
  \`code\` varchar(10) DEFAULT 'a,b (c)' COMMENT 'it''s, \\\\ (odd)',
  \`note\` text DEFAULT NULL,
  PRIMARY KEY (\`id\`),
  FULLTEXT KEY \`ft\` (\`note\`),
  CONSTRAINT \`chk\` CHECK (\`p_id\` > 0 or \`code\` in ('x,y','KEY \`z\`'))
) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`);
    expect(keys.indexes).toBe("ALTER TABLE `c` ADD UNIQUE KEY `c_code` (`code`), ADD KEY `k1` (`code`(3),`p_id`) COMMENT 'hi, there', ADD KEY `fk1` (`p_id`)");
    expect(keys.foreignKeys).toBe('ALTER TABLE `c` ADD CONSTRAINT `fk1` FOREIGN KEY (`p_id`) REFERENCES `p` (`id`) ON DELETE CASCADE');
  });

  it('reads quoted names with doubled backticks', () => {
    const keys = deferKeys('CREATE TABLE `a``b` (\n  `x,``y` int NOT NULL,\n  PRIMARY KEY (`x,``y`),\n  KEY `k``1` (`x,``y`)\n) ENGINE=InnoDB')!;
    expect(keys.table).toBe('a`b');
    expect(keys.create).toBe('CREATE TABLE `a``b` (\n  `x,``y` int NOT NULL,\n  PRIMARY KEY (`x,``y`)\n) ENGINE=InnoDB');
    expect(keys.indexes).toBe('ALTER TABLE `a``b` ADD KEY `k``1` (`x,``y`)');
    expect(keys.foreignKeys).toBeUndefined();
  });

  it('leaves alone a table without a primary key, a partitioned table, another engine, nothing to defer, and what is not a CREATE TABLE', () => {
    expect(deferKeys('CREATE TABLE `t` (\n  `a` int NOT NULL,\n  UNIQUE KEY `u` (`a`)\n) ENGINE=InnoDB')).toBeUndefined();
    expect(deferKeys('CREATE TABLE `t` (\n  `a` int NOT NULL,\n  PRIMARY KEY (`a`),\n  KEY `k` (`a`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4\n PARTITION BY HASH (`a`)\nPARTITIONS 2')).toBeUndefined();
    expect(deferKeys('CREATE TABLE `t` (\n  `a` int NOT NULL,\n  PRIMARY KEY (`a`),\n  KEY `k` (`a`)\n) ENGINE=MyISAM')).toBeUndefined();
    expect(deferKeys('CREATE TABLE `t` (\n  `a` int NOT NULL,\n  PRIMARY KEY (`a`)\n) ENGINE=InnoDB')).toBeUndefined();
    expect(deferKeys("CREATE TABLE `t` (\n  `a` varchar(3) DEFAULT ')")).toBeUndefined();
    expect(deferKeys('CREATE VIEW `v` AS SELECT 1')).toBeUndefined();
  });
});
