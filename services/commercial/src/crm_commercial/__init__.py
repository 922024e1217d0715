"""The commercial service: the ERP side of the CRM (articles, documents, invoices, payments, printouts)."""
