-- Sample tables of config/kt.yaml: 2 brands, 1,000 products; 3 organizations, 30 customers,
-- 300 orders. `scripts/stack.sh seed` runs it on the development stack (scripts/demo.sh does);
-- PostgreSQL's image runs it once, when its data volume is created, and the compose service
-- `seed` then announces every id on the topics. It drops the tables first.
DROP TABLE IF EXISTS orders, customers, organizations, products, brands;
CREATE TABLE brands (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE products (
  id bigint PRIMARY KEY, title text NOT NULL, price numeric(10,2),
  brand_id bigint REFERENCES brands(id), updated_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX ON products (brand_id);
INSERT INTO brands VALUES (1, 'Acme'), (2, 'Globex');
INSERT INTO products (id, title, price, brand_id)
  SELECT g, 'Product ' || g, g * 1.5, 1 + g % 2 FROM generate_series(1, 1000) g;

CREATE TABLE organizations (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL,
  organization_id bigint NOT NULL REFERENCES organizations(id));
CREATE INDEX ON customers (organization_id);
CREATE TABLE orders (id bigint PRIMARY KEY, number text NOT NULL, total numeric(10,2) NOT NULL,
  placed_at timestamptz NOT NULL DEFAULT now(), customer_id bigint NOT NULL REFERENCES customers(id));
CREATE INDEX ON orders (customer_id);
INSERT INTO organizations VALUES (1, 'Initech'), (2, 'Umbrella'), (3, 'Hooli');
INSERT INTO customers SELECT g, 'Customer ' || g, 'c' || g || '@example.com', 1 + g % 3
  FROM generate_series(1, 30) g;
INSERT INTO orders (id, number, total, customer_id)
  SELECT g, 'A-' || lpad(g::text, 5, '0'), g * 9.99, 1 + g % 30 FROM generate_series(1, 300) g;
