"""The gateway's pure rules: who a user is and what makes a valid one."""
