BEGIN TRANSACTION;
CREATE TABLE lx_departments (
	department_id VARCHAR(200) NOT NULL, 
	recordno VARCHAR(64) NOT NULL, 
	title TEXT NOT NULL, 
	parent_id VARCHAR(200), 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (department_id)
);
INSERT INTO "lx_departments" VALUES('ENG','1','Engineering',NULL,0);
INSERT INTO "lx_departments" VALUES('A:B','2','Alpha and Beta',NULL,0);
INSERT INTO "lx_departments" VALUES('none','3','The None Team',NULL,0);
CREATE TABLE lx_dirty (
	kind VARCHAR(16) NOT NULL, 
	"key" VARCHAR(300) NOT NULL, 
	PRIMARY KEY (kind, "key")
);
INSERT INTO "lx_dirty" VALUES('service','slack');
CREATE TABLE lx_invoices (
	object VARCHAR(16) NOT NULL, 
	recordno VARCHAR(64) NOT NULL, 
	vendor_id VARCHAR(200), 
	number TEXT NOT NULL, 
	date VARCHAR(10), 
	amount VARCHAR(64), 
	currency VARCHAR(3) NOT NULL, 
	status VARCHAR(64) NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (object, recordno)
);
INSERT INTO "lx_invoices" VALUES('APBILL','401','ZQX','INV-401','2025-03-01','100','USD','Posted',0);
INSERT INTO "lx_invoices" VALUES('APBILL','402','ZQX:saas','INV-402','2025-03-01','200','USD','Posted',0);
CREATE TABLE lx_meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "lx_meta" VALUES('company_key','UPG');
INSERT INTO "lx_meta" VALUES('schema_version','1');
INSERT INTO "lx_meta" VALUES('workspace_checked','yes');
INSERT INTO "lx_meta" VALUES('cost_window','2025-01..2025-12:USD');
INSERT INTO "lx_meta" VALUES('recognition','f0bdb962168749b8b0dac0a3a0edf06a5b9fc440a619ee43a0a4f8e1fa0821e4');
CREATE TABLE lx_published (
	owner VARCHAR(300) NOT NULL, 
	item_key VARCHAR(500) NOT NULL, 
	digest VARCHAR(64) NOT NULL, 
	payload TEXT NOT NULL, 
	PRIMARY KEY (owner, item_key)
);
INSERT INTO "lx_published" VALUES('department:A:B','Department|intacct:UPG:department:A:B','a53c1e9725b93742425bd064965349612e9e4176835755587628e7ab9a61e0a8','{"data": {"name": "Alpha and Beta"}, "id": "intacct:UPG:department:A:B", "type": "Department"}');
INSERT INTO "lx_published" VALUES('department:ENG','Department|intacct:UPG:department:ENG','957d1415a72e3347e6ba911f305fae232eccedb67787aa2b098861552a689918','{"data": {"name": "Engineering"}, "id": "intacct:UPG:department:ENG", "type": "Department"}');
INSERT INTO "lx_published" VALUES('service:candidate:ZQX','Service|intacct:UPG:service:candidate:ZQX','fa943b0968223e3f29ed016974aa53f7b344896df7596029ad59d684e87c08e3','{"data": {"description": "SaaS service discovered in Sage Intacct (company UPG); category Uncategorized; Intacct vendors: ZQX.", "itComponentName": "Zqx Widgets (SaaS)", "name": "Zqx Widgets", "providerId": "intacct:UPG:provider:zqx-widgets", "providerName": "Zqx Widgets"}, "id": "intacct:UPG:service:candidate:ZQX", "type": "Service"}');
INSERT INTO "lx_published" VALUES('service:candidate:ZQX','ServiceCost|intacct:UPG:service:candidate:ZQX:cost','f2bb9d9af004e4df16720b7705e944512ed0ec143e4e7be73bba10c31bbd89e9','{"data": {"costTotalAnnual": "0", "description": "Spend from Sage Intacct card transactions and reimbursed expenses, 2025-01..2025-12, in USD", "serviceId": "intacct:UPG:service:candidate:ZQX"}, "id": "intacct:UPG:service:candidate:ZQX:cost", "type": "ServiceCost"}');
INSERT INTO "lx_published" VALUES('service:candidate:ZQX','Invoice|intacct:UPG:APBILL:401','2eebc4ebc254339329c40e9dc8b05cc55c33687e21ebcc1bde60d21b6ed1ffeb','{"data": {"amount": "100", "currency": "USD", "date": "2025-03-01", "description": "Bill INV-401 dated 2025-03-01: 100 USD, Posted", "metadata": "{\"amount\": \"100\", \"currency\": \"USD\", \"date\": \"2025-03-01\", \"number\": \"INV-401\", \"object\": \"APBILL\", \"recordNo\": \"401\", \"status\": \"Posted\", \"vendorId\": \"ZQX\"}", "name": "Intacct APBILL 401", "number": "INV-401", "serviceId": "intacct:UPG:service:candidate:ZQX", "status": "Posted", "url": "https://www.intacct.com/ia/acct/ur.phtml?.r=401&.obj=apbill&cny=UPG"}, "id": "intacct:UPG:APBILL:401", "type": "Invoice"}');
INSERT INTO "lx_published" VALUES('service:candidate:ZQX:saas','Service|intacct:UPG:service:candidate:ZQX:saas','39a9129845c5cb7b7571ec7b8b81473d371a8147328d13a9328edd266957b914','{"data": {"description": "SaaS service discovered in Sage Intacct (company UPG); category Uncategorized; Intacct vendors: ZQX:saas.", "itComponentName": "Zqx Hosting (SaaS)", "name": "Zqx Hosting", "providerId": "intacct:UPG:provider:zqx-hosting", "providerName": "Zqx Hosting"}, "id": "intacct:UPG:service:candidate:ZQX:saas", "type": "Service"}');
INSERT INTO "lx_published" VALUES('service:candidate:ZQX:saas','ServiceCost|intacct:UPG:service:candidate:ZQX:saas:cost','1fb27e11d1e9fcd5abbca65e866a01523ae0bf24c348e56bfaaf86ca9def1b56','{"data": {"costTotalAnnual": "0", "description": "Spend from Sage Intacct card transactions and reimbursed expenses, 2025-01..2025-12, in USD", "serviceId": "intacct:UPG:service:candidate:ZQX:saas"}, "id": "intacct:UPG:service:candidate:ZQX:saas:cost", "type": "ServiceCost"}');
INSERT INTO "lx_published" VALUES('service:candidate:ZQX:saas','Invoice|intacct:UPG:APBILL:402','63b5a2bb93ba0eb20bfd28db821be0e0461aea5cdd62d9dd9864bb640c03f7c7','{"data": {"amount": "200", "currency": "USD", "date": "2025-03-01", "description": "Bill INV-402 dated 2025-03-01: 200 USD, Posted", "metadata": "{\"amount\": \"200\", \"currency\": \"USD\", \"date\": \"2025-03-01\", \"number\": \"INV-402\", \"object\": \"APBILL\", \"recordNo\": \"402\", \"status\": \"Posted\", \"vendorId\": \"ZQX:saas\"}", "name": "Intacct APBILL 402", "number": "INV-402", "serviceId": "intacct:UPG:service:candidate:ZQX:saas", "status": "Posted", "url": "https://www.intacct.com/ia/acct/ur.phtml?.r=402&.obj=apbill&cny=UPG"}, "id": "intacct:UPG:APBILL:402", "type": "Invoice"}');
INSERT INTO "lx_published" VALUES('service:slack','Service|intacct:UPG:service:slack','dc17a9572390973abf0281363eff7142fdea5815ee0e17a436df6e511a260acf','{"data": {"description": "SaaS service discovered in Sage Intacct (company UPG); category Collaboration; Intacct vendors: none (recognised from card or expense spend).", "itComponentName": "Slack (SaaS)", "name": "Slack", "providerId": "intacct:UPG:provider:salesforce-inc", "providerName": "Salesforce, Inc."}, "id": "intacct:UPG:service:slack", "type": "Service"}');
INSERT INTO "lx_published" VALUES('service:slack','ServiceDepartment|intacct:UPG:service:slack:department:A:B','224da8cd22a42a514b1d653780dd986480d14d8a9e23a0d12e8ee9e49d914e8d','{"data": {"departmentId": "intacct:UPG:department:A:B", "serviceId": "intacct:UPG:service:slack"}, "id": "intacct:UPG:service:slack:department:A:B", "type": "ServiceDepartment"}');
INSERT INTO "lx_published" VALUES('service:slack','ServiceDepartment|intacct:UPG:service:slack:department:ENG','171f4872db493333b3310c95a21d0cb3d37242539b406c8e1ffa2c91c4bc8df8','{"data": {"departmentId": "intacct:UPG:department:ENG", "serviceId": "intacct:UPG:service:slack"}, "id": "intacct:UPG:service:slack:department:ENG", "type": "ServiceDepartment"}');
INSERT INTO "lx_published" VALUES('service:slack','ServiceSpend|intacct:UPG:service:slack:spend:A:B:2025-03:USD','ae424baa23b4cfaff569c90df54ae686be587b8ed0662471653cbeaa1c41cda6','{"data": {"currency": "USD", "department": "A:B", "measurement": "intacctSpend", "service": "intacct:UPG:service:slack", "time": "2025-03-01T00:00:00.000000Z", "value": "3.0"}, "id": "intacct:UPG:service:slack:spend:A:B:2025-03:USD", "type": "ServiceSpend"}');
INSERT INTO "lx_published" VALUES('service:slack','ServiceSpend|intacct:UPG:service:slack:spend:ENG:2025-03:USD','377e7fcc2f1b4191c5aeb049e3292199ddd023a63030d77d5a1adf8cabff488e','{"data": {"currency": "USD", "department": "ENG", "measurement": "intacctSpend", "service": "intacct:UPG:service:slack", "time": "2025-03-01T00:00:00.000000Z", "value": "7.0"}, "id": "intacct:UPG:service:slack:spend:ENG:2025-03:USD", "type": "ServiceSpend"}');
INSERT INTO "lx_published" VALUES('department:none','Department|intacct:UPG:department:none','e375296029d011bfe49077cf2c30c0fb905b5b0eb7cc5ded077b1fbd69e03588','{"data": {"name": "The None Team"}, "id": "intacct:UPG:department:none", "type": "Department"}');
INSERT INTO "lx_published" VALUES('service:slack','ServiceCost|intacct:UPG:service:slack:cost','8649cf40f04ab4e48242b0d7c399dddb9a09b181d32c3777d420f90494bab43e','{"data": {"costTotalAnnual": "25.0", "description": "Spend from Sage Intacct card transactions and reimbursed expenses, 2025-01..2025-12, in USD", "serviceId": "intacct:UPG:service:slack"}, "id": "intacct:UPG:service:slack:cost", "type": "ServiceCost"}');
INSERT INTO "lx_published" VALUES('service:slack','ServiceDepartment|intacct:UPG:service:slack:department:none','aa7e98d1a76238f3fff4bc3d38e3402ca81b002d34291b1d47c01fc9097aa02a','{"data": {"departmentId": "intacct:UPG:department:none", "serviceId": "intacct:UPG:service:slack"}, "id": "intacct:UPG:service:slack:department:none", "type": "ServiceDepartment"}');
INSERT INTO "lx_published" VALUES('service:slack','ServiceSpend|intacct:UPG:service:slack:spend:none:2025-03:USD','b9f0f7d63965db30ad2d35836962a227bd5a07331bb8323481abb55133c7ea28','{"data": {"currency": "USD", "department": "none", "measurement": "intacctSpend", "service": "intacct:UPG:service:slack", "time": "2025-03-01T00:00:00.000000Z", "value": "5.0"}, "id": "intacct:UPG:service:slack:spend:none:2025-03:USD", "type": "ServiceSpend"}');
CREATE TABLE lx_reimbursements (
	recordno VARCHAR(64) NOT NULL, 
	report_recordno VARCHAR(64), 
	state VARCHAR(64) NOT NULL, 
	amount VARCHAR(64), 
	currency VARCHAR(3) NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (recordno)
);
CREATE TABLE lx_services (
	service_key VARCHAR(200) NOT NULL, 
	name TEXT NOT NULL, 
	category TEXT NOT NULL, 
	provider TEXT NOT NULL, 
	candidate BOOLEAN NOT NULL, 
	PRIMARY KEY (service_key)
);
INSERT INTO "lx_services" VALUES('candidate:ZQX','Zqx Widgets','Uncategorized','Zqx Widgets',1);
INSERT INTO "lx_services" VALUES('candidate:ZQX:saas','Zqx Hosting','Uncategorized','Zqx Hosting',1);
INSERT INTO "lx_services" VALUES('slack','Slack','Collaboration','Salesforce, Inc.',0);
CREATE TABLE lx_spend_headers (
	kind VARCHAR(16) NOT NULL, 
	recordno VARCHAR(64) NOT NULL, 
	descriptor TEXT NOT NULL, 
	state VARCHAR(64) NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	service_key VARCHAR(200), 
	PRIMARY KEY (kind, recordno)
);
INSERT INTO "lx_spend_headers" VALUES('card','101','SLACK T04ABC123 DUBLIN','Posted',0,'slack');
CREATE TABLE lx_spend_lines (
	kind VARCHAR(16) NOT NULL, 
	recordno VARCHAR(64) NOT NULL, 
	header_recordno VARCHAR(64) NOT NULL, 
	department_id VARCHAR(200), 
	vendor_id VARCHAR(200), 
	description TEXT NOT NULL, 
	amount VARCHAR(64) NOT NULL, 
	currency VARCHAR(3) NOT NULL, 
	base_amount VARCHAR(64) NOT NULL, 
	base_currency VARCHAR(3) NOT NULL, 
	month VARCHAR(7) NOT NULL, 
	deleted BOOLEAN NOT NULL, 
	own_service_key VARCHAR(200), 
	service_key VARCHAR(200), 
	seen_run VARCHAR(32), 
	PRIMARY KEY (kind, recordno)
);
INSERT INTO "lx_spend_lines" VALUES('card','1001','101',NULL,NULL,'card line','10.0','USD','10.0','USD','2025-03',0,NULL,'slack','c806534cdcb1447fa81ebb949c4e4655');
INSERT INTO "lx_spend_lines" VALUES('card','1003','101','ENG',NULL,'card line','7.0','USD','7.0','USD','2025-03',0,NULL,'slack','c806534cdcb1447fa81ebb949c4e4655');
INSERT INTO "lx_spend_lines" VALUES('card','1004','101','A:B',NULL,'card line','3.0','USD','3.0','USD','2025-03',0,NULL,'slack','c806534cdcb1447fa81ebb949c4e4655');
INSERT INTO "lx_spend_lines" VALUES('card','1002','101','none',NULL,'card line','5.0','USD','5.0','USD','2025-03',0,NULL,'slack','686adf0cb19c4fc383af9731fbfe7155');
INSERT INTO "lx_spend_lines" VALUES('card','1005','101',NULL,NULL,'card line','2.0','USD','2.0','USD','2025-03',0,NULL,'slack','4f00fb2f3a5f4918a5aa489eca8e9900');
INSERT INTO "lx_spend_lines" VALUES('card','1006','101','none',NULL,'card line','1.0','USD','1.0','USD','2025-03',0,NULL,'slack','4f00fb2f3a5f4918a5aa489eca8e9900');
CREATE TABLE lx_vendor_accounts (
	recordno VARCHAR(64) NOT NULL, 
	vendor_id VARCHAR(200), 
	accountno VARCHAR(64), 
	deleted BOOLEAN NOT NULL, 
	PRIMARY KEY (recordno)
);
INSERT INTO "lx_vendor_accounts" VALUES('11','ZQX','6250',0);
INSERT INTO "lx_vendor_accounts" VALUES('12','ZQX:saas','6250',0);
CREATE TABLE lx_vendors (
	vendor_id VARCHAR(200) NOT NULL, 
	recordno VARCHAR(64) NOT NULL, 
	name TEXT NOT NULL, 
	status VARCHAR(32) NOT NULL, 
	website TEXT, 
	deleted BOOLEAN NOT NULL, 
	service_key VARCHAR(200), 
	PRIMARY KEY (vendor_id)
);
INSERT INTO "lx_vendors" VALUES('ZQX','1','Zqx Widgets','active',NULL,0,'candidate:ZQX');
INSERT INTO "lx_vendors" VALUES('ZQX:saas','2','Zqx Hosting','active',NULL,0,'candidate:ZQX:saas');
CREATE INDEX ix_lx_vendor_accounts_vendor_id ON lx_vendor_accounts (vendor_id);
CREATE INDEX ix_lx_spend_lines_seen_run ON lx_spend_lines (seen_run);
CREATE INDEX ix_lx_spend_lines_header_recordno ON lx_spend_lines (header_recordno);
CREATE INDEX ix_lx_spend_lines_service_key ON lx_spend_lines (service_key);
CREATE INDEX ix_lx_spend_lines_vendor_id ON lx_spend_lines (vendor_id);
CREATE INDEX ix_lx_reimbursements_report_recordno ON lx_reimbursements (report_recordno);
CREATE INDEX ix_lx_invoices_vendor_id ON lx_invoices (vendor_id);
COMMIT;
