"""Migrant-worker services (外出务工人员服务): the register, service cases and labour-export groups."""
