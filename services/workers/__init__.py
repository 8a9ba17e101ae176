"""Migrant-worker services (外出務工人員服務): the register, service cases and labour-export groups."""
