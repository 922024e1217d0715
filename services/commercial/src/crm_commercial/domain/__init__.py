"""The commercial domain: pure rules for articles, documents, money, numbering, contracts and balances."""
